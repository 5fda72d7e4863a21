"""Instructions per image of the rv32imc (ESP32-C3) natmod on real MicroPython firmware, in qemu.

    PIPDREAM_FIRMWARE_DIR=../shared/firmware .venv/bin/python bench/rv32_firmware.py
        # writes bench/results/rv32_firmware.json
    PIPDREAM_FIRMWARE_DIR=../shared/firmware .venv/bin/python bench/rv32_firmware.py --quick   # prints only

Boots MicroPython 1.29-preview's VIRT_RV32 firmware (rv32imc, ../shared/firmware) in
qemu-system-riscv32 with `-icount shift=0`: the virtual clock then advances exactly 1 ns per
guest instruction, so `time.ticks_us()` on the board counts thousands of retired instructions,
whatever the host's speed. A calibration loop of known length (an asm_rv32 loop of 2 instructions,
1,000,000 times) checks that scale in every run. The committed natmod/dist/rv32imc_6.3/pipnet.mpy
is loaded over the raw REPL (pipdream.qemu_firmware) and each image is one `generate()` call timed
on the board, the Python call included; every image timed is also checked against the NumPy
reference. These are the emulator's instruction counts for rv32imac code: an ESP32-C3 takes more
cycles than instructions (its loads, taken branches, multiplies and flash cache misses), so they
are a floor on its cycles, not a measurement of them.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import platform
import subprocess
import sys
from pathlib import Path

import numpy as np
from pipdream import reference
from pipdream.blob import load
from pipdream.qemu_firmware import MACHINES, QemuBoard

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))  # benchlib, also when loaded by path
import benchlib  # noqa: E402

MODELS = REPO / "models"
RESULTS = REPO / "bench" / "results" / "rv32_firmware.json"
NATMOD = REPO / "natmod" / "dist" / "rv32imc_6.3" / "pipnet.mpy"
BLOBS = {"default": MODELS / "default.blob", "fast": MODELS / "fast.blob"}
ANGLES = (-127, -64, 0, 64, 127)
CALIBRATION_LOOPS = 1_000_000

CALIBRATE = f"""
import time, micropython
@micropython.asm_rv32
def spin(a0):
    label(loop)
    addi(a0, a0, -1)
    bne(a0, zero, loop)
t0 = time.ticks_us()
spin({CALIBRATION_LOOPS})
print(time.ticks_diff(time.ticks_us(), t0))
"""

TIME_ONE = """
t0 = time.ticks_us()
m.generate({face}, {code}, img)
t1 = time.ticks_us()
print(time.ticks_diff(t1, t0), binascii.hexlify(img).decode())
"""


def measure(quick: bool) -> dict:
    where = os.environ.get("PIPDREAM_FIRMWARE_DIR")
    if not where:
        raise SystemExit("set PIPDREAM_FIRMWARE_DIR to the firmware folder (../shared/firmware)")
    machine = MACHINES["virt-rv32"]
    firmware = Path(where) / machine.firmware
    angles = ANGLES[::2] if quick else ANGLES
    pairs = [(face, code) for face in range(1, 7) for code in angles]
    plans: dict = {}
    with QemuBoard(machine, firmware, icount=True) as board:
        calib_us = int(board.exec(CALIBRATE, what="the calibration loop").strip())
        board.load_module("pipnet", NATMOD.read_bytes())
        for name, path in BLOBS.items():
            board.put(f"blob_{name}", path.read_bytes())
        board.exec("import binascii, time, gc\nimg = bytearray(1024)")
        for name, path in BLOBS.items():
            model = load(path.read_bytes())
            want = reference.run(model, np.array([f for f, _ in pairs]), np.array([c for _, c in pairs]))
            for plan in ("STREAM", "FULL"):
                board.exec(f"m = None\ngc.collect()\nm = pipnet.Model(blob_{name}, pipnet.{plan})\n"
                           "m.generate(1, 0, img)", what=f"a {plan.lower()} Model of the {name} blob")
                info = board.exec("print(m.info()['macs'], m.info()['scratch'])").split()
                macs, scratch = int(info[0]), int(info[1])
                counts, exact = [], True
                for (face, code), image in zip(pairs, want):
                    what = f"the {name} blob's {plan.lower()} image {face} at {code}"
                    us, hexed = board.exec(TIME_ONE.format(face=face, code=code), what=what).split()
                    counts.append(int(us) * 1000)
                    exact &= bytes.fromhex(hexed) == image.tobytes()
                mean = sum(counts) / len(counts)
                plans.setdefault(name, {})[plan.lower()] = {
                    "images": len(counts), "macs_per_image": macs, "scratch_bytes": scratch,
                    "instructions_per_image": {"min": min(counts), "max": max(counts), "mean": round(mean)},
                    "instructions_per_mac": round(mean / macs, 2),
                    "all_images_match_reference": exact,
                }
    qemu = subprocess.run([machine.qemu[0], "--version"], capture_output=True, text=True).stdout
    qemu = qemu.split("\n")[0]
    return {
        "what": "instructions per 32x32 image of the rv32imc (ESP32-C3) pipnet natmod on MicroPython "
                "1.29-preview's VIRT_RV32 firmware in qemu: the emulator's instruction counts, not "
                "ESP32-C3 cycles (a C3 needs at least as many cycles as instructions: loads, taken "
                "branches, multiplies and flash-cache misses cost more)",
        "command": "PIPDREAM_FIRMWARE_DIR=../shared/firmware python bench/rv32_firmware.py",
        "how": "qemu-system-riscv32 -icount shift=0 (1 ns of virtual time per guest instruction); "
               "time.ticks_us() on the board around each generate() call, x 1000 = instructions "
               "(resolution 1,000; the Python call is included); one warm-up image per model",
        "calibration": {"loop": f"asm_rv32 addi+bne, {CALIBRATION_LOOPS:,} times",
                        "instructions": 2 * CALIBRATION_LOOPS, "ticks_us": calib_us,
                        "instructions_per_us": round(2 * CALIBRATION_LOOPS / calib_us, 1)},
        "date": datetime.date.today().isoformat(),
        "emulator": qemu,
        "firmware": machine.firmware,
        "natmod": {"path": str(NATMOD.relative_to(REPO)),
                   "sha256": hashlib.sha256(NATMOD.read_bytes()).hexdigest(),
                   "build": "make -C natmod ARCH=rv32imc MPY_DIR=../shared/micropython-natmod-1.29 "
                            "(riscv64-unknown-elf-gcc -march=rv32imac -Os, register-blocked C kernels)"},
        "pairs": [f"{face}@{code}" for face, code in pairs],
        "blobs": {name: str(path.relative_to(REPO)) for name, path in BLOBS.items()},
        "host": platform.platform(),  # for the record only: the counts do not depend on it
        "plans": plans,
    }


def main() -> int:
    return benchlib.quick_main(__doc__, measure, RESULTS, "fewer angles, print only", indent=1)


if __name__ == "__main__":
    sys.exit(main())
