"""Frame rate of the roll animation on the simulated Pico, per inference backend.

    .venv/bin/python bench/sim_fps.py              # writes bench/results/sim_fps.json
    .venv/bin/python bench/sim_fps.py --rolls 1    # quicker

The unchanged device app (device/main.py) runs on the real MicroPython unix runtime with the
`machine` stand-in, the x64 natmod and models/default.blob, exactly as `pipdream demo` runs it,
twice per backend: as shipped (the app paces frames to pdsettings.FRAME_MS) and unpaced
(FRAME_MS = 0: each tumble frame is drawn as soon as the app can). The board's clock is virtual
(docs/simulation.md): each generate() takes the Pico's cycles per MAC for its backend and plan
(pipdream.sim.compute: measured in rp2040js for the natmod, estimated for viper and pure
Python), the I2C transfer 9 clocks per byte at the board's 400 kHz. The Pico sends the die
window by DMA (device/pdi2c_dma.py), so a frame's transfer overlaps the next frame's inference:

    unpaced frame interval = max(modelled inference, the previous frame's I2C transfer)
                             (+ 1 us per clock read)

and the figures are the same on every host. Not modelled: the Python code that draws the
1-bit frame and drives the display (a few ms a frame on a Pico, not measured here).

Reported per backend: the frame interval and frames per second of the tumble as shipped and
unpaced, the bus time of a frame, bytes per frame on the bus and the frame-rate ceiling they
allow at 400 kHz.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
from pathlib import Path

from pipdream.sim import stage
from pipdream.sim.compute import cycles_per_mac
from pipdream.sim.demo import DemoOptions, run_demo

RESULTS = Path(__file__).resolve().parent / "results" / "sim_fps.json"
BACKENDS = ("natmod", "viper", "python")
CLOCKS_PER_BYTE = 9
DIE_WINDOW_DATA = 64 * 64 // 8  # GDDRAM bytes of the 64x64 die window


def tumble(backend: str, rolls: int, seed: int, settings: dict) -> tuple[list[float], list[int], int, int]:
    """The intervals between consecutive die frames of a demo run, their bus bytes, the most
    bytes of any frame, and the board's I2C clock."""
    with tempfile.TemporaryDirectory() as tmp:
        log = run_demo(DemoOptions(rolls=rolls, seed=seed, backend=backend, out=Path(tmp), show="none",
                                   settings=settings), log=lambda _: None)
    intervals, die_bytes, all_bytes = [], [], []
    for r in log["rolls"]:
        if r["backend"] != backend:
            raise RuntimeError(f"asked for {backend}, the app ran {r['backend']}")
        all_bytes += r["bus_bytes_per_frame"]
        # A tumble step is a frame that redrew the die window right after another one did.
        sizes, gaps = r["bus_bytes_per_frame"], [None, *r["frame_ms"]]
        for i in range(1, len(sizes)):
            if sizes[i] >= DIE_WINDOW_DATA and sizes[i - 1] >= DIE_WINDOW_DATA:
                intervals.append(gaps[i])
                die_bytes.append(sizes[i])
    if not intervals:
        raise RuntimeError(f"{backend}: no consecutive die frames to time")
    return intervals, die_bytes, max(all_bytes), log["i2c_hz"]


def rate(intervals: list[float]) -> dict:
    """Frames per second over the tumble (from the mean interval: the app paces on a millisecond
    grid, so single intervals alternate around FRAME_MS)."""
    mean = statistics.fmean(intervals)
    return {"frames_timed": len(intervals), "frame_ms_mean": round(mean, 3),
            "frame_ms_median": round(statistics.median(intervals), 3),
            "frame_ms_max": round(max(intervals), 3), "fps": round(1000.0 / mean, 2)}


def measure(backend: str, rolls: int, seed: int) -> dict:
    shipped, _, _, _ = tumble(backend, rolls, seed, {})
    unpaced, die_bytes, most_bytes, i2c_hz = tumble(backend, rolls, seed, {"FRAME_MS": 0})
    bytes_per_frame = statistics.median(die_bytes)
    return {
        "rolls": rolls,
        "shipped": rate(shipped),
        "unpaced": rate(unpaced),
        "bus_ms_per_frame": round(1000.0 * bytes_per_frame * CLOCKS_PER_BYTE / i2c_hz, 3),
        "i2c_bytes_per_frame": bytes_per_frame,
        "i2c_bytes_per_frame_max": most_bytes,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rolls", type=int, default=3, help="rolls per backend (python: at most 2)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()
    c = stage.board_constants("pico")
    i2c_hz = int(c.get("I2C_FREQ", 400_000))
    results = {}
    for backend in BACKENDS:
        n = min(args.rolls, 2) if backend == "python" else args.rolls
        results[backend] = measure(backend, n, args.seed)
        print(backend, results[backend])
    full_frame = 1 + 1 + 1024 + 8  # address + control + 1,024 data bytes, plus the window commands
    window = results["natmod"]["i2c_bytes_per_frame"]
    out = {
        "what": "roll animation on the simulated Pico (device app on the MicroPython unix port), as "
                f"shipped (frames paced to FRAME_MS = {stage.device_setting('FRAME_MS')} ms) and unpaced "
                "(FRAME_MS = 0)",
        "display": "the die window by DMA (DISPLAY_DMA)" if c.get("DISPLAY_DMA") else "blocking I2C writes",
        "host": {"machine": platform.machine(), "processor": platform.processor() or platform.machine(),
                 "python": platform.python_version()},
        "clock": "virtual: generate() at the Pico's cycles per MAC (pipdream.sim.compute), I2C transfers "
                 "9 clocks a byte (by DMA: overlapped with the next generate()); drawing code not modelled; "
                 "the same on every host",
        "cycles_per_mac": cycles_per_mac(),
        "i2c_hz": i2c_hz,
        "backends": results,
        "i2c": {
            "clocks_per_byte": CLOCKS_PER_BYTE,
            "die_window_bytes_per_frame": window,
            "die_window_ceiling_fps": round(i2c_hz / (CLOCKS_PER_BYTE * window), 1),
            "full_frame_bytes": full_frame,
            "full_frame_ceiling_fps": round(i2c_hz / (CLOCKS_PER_BYTE * full_frame), 1),
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
