"""The Pico's frame on the real firmware: the deployed app on MicroPython v1.23.0 for the Pico in rp2040js.

    .venv/bin/python bench/rp2040_firmware.py                 # writes bench/results/rp2040_firmware.json
    .venv/bin/python bench/rp2040_firmware.py --no-python     # without the pure-Python backend (minutes)
    PIPDREAM_FIRMWARE_DIR=../shared/firmware (the default when it exists)

The app is what `pipdream deploy --board pico --stage` writes (its .mpy files, the armv6m natmod,
models/default.blob), on a littlefs image, with one change: main.py asks for one core (rp2040js
emulates core 0 only; bench/rp2040/firmware.mjs lists what the harness supplies). Every time is
the firmware's own time.ticks_us() or the harness's t_us: the emulated RP2040 at 125 MHz, cycle
counted, no flash wait states (a real Pico is no faster), the same on every host.

Measured at the board's REPL, on its own modules:
- generate() per image for each backend (natmod full and stream plans, viper, pure Python);
- the window: View.draw() of one die (threshold, scale 2) per drawer (natmod, viper, Python);
- View.flush() (the die window handed to DMA) and the app's _frame() (generate + draw + flush);
- rolls: App.roll() as the app runs it (its frame pacing, FRAME_MS, the first-roll timing),
  frames per roll, the median frame interval, fps;
and from a run with the button pressed: the time from the press to the last byte of the final face
on the bus, per backend. The two-core frame is a model from the measured parts (the README says
which): rp2040.json's two-core image share plus the window and the flush.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "host"))

from pipdream.rp2_firmware import ONE_CORE_MAIN, Rp2Firmware, littlefs_image, stage_pico  # noqa: E402

RESULTS = REPO / "bench" / "results" / "rp2040_firmware.json"
RP2040_JSON = REPO / "bench" / "results" / "rp2040.json"
UF2, BOOTROM = "rp2-pico-v1.23.0.uf2", "rp2040-bootrom-b1.bin"
PRESS_MS = 3000
WINDOW_DATA = 1 + 64 * 64 // 8  # the die window's I2C data transaction: control byte + 512

# Runs at the board's REPL (raw REPL, the app stopped by Ctrl-C); prints one JSON line.
PARTS = """
import gc, json, time
import pdapp, pdboard, pdinfer, pdview
board = pdboard.build()
board.cores = 1
d = board.open_display()
view = pdview.View(d)
blob = open("model.blob", "rb").read()
res = {"gen_us": {}, "window_us": {}}
imgs = [bytearray(1024), bytearray(1024)]
def timed(fn, *args):
    t = time.ticks_us()
    fn(*args)
    return time.ticks_diff(time.ticks_us(), t)
for name, plan, n in GEN:
    m, _ = pdinfer.load(blob, name, plan)
    us = [timed(m.generate, 1 + i % 6, 40 - 13 * i, imgs[i % 2]) for i in range(n)]
    res["gen_us"][name + ("_" + plan if plan else "")] = us
    m = None
    gc.collect()
for drawer in DRAWERS:
    pdview.use(drawer)
    us = []
    for i in range(6):
        us.append(timed(view.draw, [imgs[i % 2]], [0]))
        view.flush()
        time.sleep_ms(15)
    res["window_us"][drawer] = us
pdview.use()
res["drawn_by"] = pdview.DRAWN_BY
us = []
for i in range(6):
    view.draw([imgs[i % 2]], [0])
    us.append(timed(view.flush))
    time.sleep_ms(15)
res["flush_us"] = us
app = pdapp.App(board)
app.start()
res["console_backend"] = app.backend
res["frame_us"] = [timed(app._frame, [1 + i % 6], [40 - 13 * i], False) for i in range(8)]
rolls = []
for i in range(3):
    t = time.ticks_us()
    rec = app.roll()
    rolls.append({"frames": rec["frames"], "frame_us": rec["frame_us"],
                  "roll_us": time.ticks_diff(time.ticks_us(), t)})
res["rolls"] = rolls
print(json.dumps(res))
"""


def firmware_dir() -> Path:
    where = os.environ.get("PIPDREAM_FIRMWARE_DIR") or REPO.parent / "shared" / "firmware"
    path = Path(where)
    if not (path / UF2).is_file():
        raise SystemExit(f"no {UF2} in {path}: set PIPDREAM_FIRMWARE_DIR to ../shared/firmware")
    return path


def board_parts(fw_dir: Path, image: bytes, python: bool) -> dict:
    gen = [("natmod", "full", 6), ("natmod", "stream", 6), ("viper", None, 2)]
    if python:
        gen.append(("python", None, 1))
    drawers = ("natmod", "viper", "python")
    with Rp2Firmware(fw_dir / UF2, fw_dir / BOOTROM, fs=image, seed=3, interactive=True,
                     until_ms=3_600_000) as fw:
        fw.wait_for("display found")
        fw.raw_repl()
        out = fw.exec(f"GEN = {gen!r}\nDRAWERS = {drawers!r}\n" + PARTS)
    return json.loads(out.strip().splitlines()[-1])


def press_to_face(fw_dir: Path, stage: Path, backend: str, until_ms: int) -> dict:
    """A press at PRESS_MS on the freshly booted app with `backend` forced: when the final face's
    last byte was on the bus, and the frames of the roll."""
    (stage / "main.py").write_text(ONE_CORE_MAIN.replace("pdapp.main(board=board)",
                                                         f"pdapp.main({{'BACKEND': {backend!r}}}, board)"))
    run = Rp2Firmware(fw_dir / UF2, fw_dir / BOOTROM, fs=littlefs_image(stage), seed=5,
                      presses=[(PRESS_MS, 100)], until_ms=until_ms).run()
    (stage / "main.py").write_text(ONE_CORE_MAIN)
    m = re.search(r"roll 1: (\d) \(angle (-?\d+), (\d+) frames, (\w+)\)", run.serial)
    if not m:
        raise RuntimeError(f"{backend}: no roll in {until_ms} ms: {run.serial[-800:]}")
    roll_line_us = next(t for t, text in run.serial_at if "roll 1:" in text)
    windows = [t for t, _, data in run.i2c if data[0] == 0x40 and len(data) == WINDOW_DATA
               and t > PRESS_MS * 1000 and t <= roll_line_us]
    return {"backend": m.group(4), "frames": int(m.group(3)), "windows_sent": len(windows),
            "press_to_final_face_ms": round((windows[-1] - PRESS_MS * 1000) / 1000, 1)}


def ms(us: list[int]) -> float:
    return round(statistics.median(us) / 1000, 3)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--no-python", action="store_true", help="leave out the pure-Python backend")
    args = ap.parse_args()
    fw_dir = firmware_dir()
    with tempfile.TemporaryDirectory() as tmp:
        stage = stage_pico(Path(tmp) / "pico")
        parts = board_parts(fw_dir, littlefs_image(stage), not args.no_python)
        presses = {"natmod": press_to_face(fw_dir, stage, "natmod", PRESS_MS + 4000),
                   "viper": press_to_face(fw_dir, stage, "viper", PRESS_MS + 8000)}
        if not args.no_python:
            presses["python"] = press_to_face(fw_dir, stage, "python", PRESS_MS + 200_000)
    full_two_core_ms = json.loads(RP2040_JSON.read_text())["frame"]["two_cores_ms"]["inference"]
    rolls = parts["rolls"]
    shipped = rolls[-1]
    frame_iv = shipped["frame_us"][1:-1] or shipped["frame_us"]
    frame_ms = ms(parts["frame_us"])
    gen_full_ms = ms(parts["gen_us"]["natmod_full"])
    result = {
        "what": "the deployed Pico app (deploy --stage, one core) on the real rp2 firmware in rp2040js",
        "firmware": "MicroPython v1.23.0, ports/rp2, RPI_PICO (../shared/firmware/" + UF2 + ")",
        "clock": "the firmware's time.ticks_us() on rp2040js: a cycle-counted Cortex-M0+ at 125 MHz, "
                 "no flash wait states; one core (rp2040js emulates core 0 only); the same on every host",
        "harness_supplies": "ROSC random bit, the I2C0 DREQ, a display at 0x3C acknowledging with 9 SCL "
                            "periods a byte, the button's pull-up (bench/rp2040/firmware.mjs)",
        "model": "models/default.blob",
        "generate_ms": {k: ms(v) for k, v in parts["gen_us"].items()},
        "window_ms": {k: ms(v) for k, v in parts["window_us"].items()},
        "drawn_by": parts["drawn_by"],
        "flush_ms": ms(parts["flush_us"]),
        "frame_ms_one_core": frame_ms,
        "roll_as_shipped_one_core": {
            "frames": shipped["frames"],
            "frame_interval_ms_median": ms(frame_iv),
            "roll_ms": round(shipped["roll_us"] / 1000, 1),
            "fps": round(shipped["frames"] / (shipped["roll_us"] / 1e6), 1),
            "first_roll_frames": rolls[0]["frames"],
        },
        "press_to_final_face": presses,
        "two_cores_model": {
            "frame_ms": round(full_two_core_ms + frame_ms - gen_full_ms, 2),
            "basis": "the one-core frame measured here with its generate() replaced by rp2040.json's "
                     "two-core full-plan image (each core's cycle-counted share, bare metal): the window, "
                     "the flush and the frame loop as measured; the DMA of the previous frame overlaps "
                     "(bus 11.7 ms < the image); not measured: pdcores' locks around generate_part "
                     "(rp2040js has no core 1)",
        },
        "raw": parts,
        "when": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "raw"}, indent=1))


if __name__ == "__main__":
    main()
