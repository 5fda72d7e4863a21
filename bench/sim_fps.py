"""Frame rate of the roll animation on the simulated Pico, per inference backend.

    .venv/bin/python bench/sim_fps.py              # writes bench/results/sim_fps.json
    .venv/bin/python bench/sim_fps.py --rolls 1    # quicker

The unchanged device app (device/main.py) runs on the real MicroPython unix runtime with the
`machine` stand-in, the x64 natmod and models/default.blob, exactly as `pipdream demo` runs it,
except that frames are not paced (FRAME_MS = 0): each tumble frame is drawn as soon as the
previous one is on the display. The board's clock is virtual (docs/simulation.md): each
generate() takes the Pico's cycles per MAC for its backend and plan (pipdream.sim.compute:
measured in rp2040js for the natmod, estimated for viper and pure Python), the I2C transfer
9 clocks per byte at the board's 400 kHz, so

    frame interval = modelled inference (the Pico's) + I2C transfer (+ 1 us per clock read)

and the figures are the same on every host. Not modelled: the Python code that draws the
1-bit frame and drives the display (a few ms a frame on a Pico, not measured here).

Reported per backend: frames per second of the tumble, the compute and bus parts of a frame,
bytes per frame on the bus and the frame-rate ceiling they allow at 400 kHz.
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


def measure(backend: str, rolls: int, seed: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        log = run_demo(DemoOptions(rolls=rolls, seed=seed, backend=backend, out=Path(tmp), show="none",
                                   settings={"FRAME_MS": 0}), log=lambda _: None)
    i2c_hz = log["i2c_hz"]
    intervals, die_bytes, all_bytes, frames = [], [], [], 0
    for r in log["rolls"]:
        if r["backend"] != backend:
            raise RuntimeError(f"asked for {backend}, the app ran {r['backend']}")
        frames += r["frames"]
        all_bytes += r["bus_bytes_per_frame"]
        # A tumble step is a frame that redrew the die window right after another one did.
        sizes, gaps = r["bus_bytes_per_frame"], [None, *r["frame_ms"]]
        for i in range(1, len(sizes)):
            if sizes[i] >= DIE_WINDOW_DATA and sizes[i - 1] >= DIE_WINDOW_DATA:
                intervals.append(gaps[i])
                die_bytes.append(sizes[i])
    if not intervals:
        raise RuntimeError(f"{backend}: no consecutive die frames to time")
    interval = statistics.median(intervals)
    bytes_per_frame = statistics.median(die_bytes)
    bus_ms = 1000.0 * bytes_per_frame * CLOCKS_PER_BYTE / i2c_hz
    return {
        "rolls": rolls,
        "frames_timed": len(intervals),
        "frame_ms_median": round(interval, 3),
        "fps": round(1000.0 / interval, 2),
        "bus_ms_per_frame": round(bus_ms, 3),
        "compute_ms_per_frame": round(interval - bus_ms, 3),
        "i2c_bytes_per_frame": bytes_per_frame,
        "i2c_bytes_per_frame_max": max(all_bytes),
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
        "what": "roll animation on the simulated Pico (device app on the MicroPython unix port, FRAME_MS=0)",
        "host": {"machine": platform.machine(), "processor": platform.processor() or platform.machine(),
                 "python": platform.python_version()},
        "clock": "virtual: generate() at the Pico's cycles per MAC (pipdream.sim.compute) + I2C transfer "
                 "time; drawing code not modelled; the same on every host",
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
