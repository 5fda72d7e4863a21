"""The real rp2 firmware (MicroPython v1.23.0 for the Pico) in rp2040js, with the deployed app: it boots,
rolls on a button press, and what it sends to the display at 0x3C is the reference image's window for
the face it reports; the shipped armv6m natmod there gives the reference's bytes.

What the harness supplies that rp2040js lacks (the ring oscillator's random bit, the I2C DREQ, the
display's acknowledgements and bus time, the pull-up on the button; one core) is listed in
bench/rp2040/firmware.mjs; everything else is the firmware's own code.
"""

from __future__ import annotations

import re
import sys

import numpy as np
import pytest
from pipdream import boards, reference
from pipdream import deploy as D
from pipdream.blob import load
from pipdream.rp2_firmware import Rp2Firmware, littlefs_image, stage_pico
from pipdream.sim.ssd1306 import SSD1306
from support.firmware import RP2_BOOTROM, RP2_UF2, firmware_file

sys.path.insert(0, str(D.DEVICE))
import pdview  # noqa: E402 - the app's own layout of the display

PRESS_MS = 3000
SETTLE_FRAMES = D.device_setting("SETTLE_FRAMES")


@pytest.fixture(scope="module")
def firmware():
    return firmware_file(RP2_UF2), firmware_file(RP2_BOOTROM)


@pytest.fixture(scope="module")
def pico_image(firmware, tmp_path_factory) -> bytes:
    return littlefs_image(stage_pico(tmp_path_factory.mktemp("pico")))


@pytest.fixture(scope="module")
def a_roll(firmware, pico_image):
    """The app booted from its littlefs image, the button pressed at 3 s, run to 6 s."""
    uf2, bootrom = firmware
    return Rp2Firmware(uf2, bootrom, fs=pico_image, seed=7, presses=[(PRESS_MS, 100)], until_ms=6000).run()


def test_the_deployed_app_boots_on_the_firmware_with_the_natmod_and_finds_the_display(a_roll):
    out = a_roll.serial
    assert "Traceback" not in out, out
    assert "backend natmod, plan full (16384 bytes of scratch)" in out, out
    assert "display found at 0x3C, windows by DMA" in out, out
    assert "button IRQ" in out, out


def test_a_press_rolls_and_the_display_shows_the_reference_die_for_the_reported_face(a_roll):
    m = re.search(r"pipdream: roll 1: (\d) \(angle (-?\d+), (\d+) frames", a_roll.serial)
    assert m, a_roll.serial
    face, angle, frames = (int(g) for g in m.groups())
    assert frames >= 2
    oled = SSD1306()
    for _, addr, data in a_roll.i2c:
        assert addr == 0x3C
        oled.write(data)
    want = reference.run(load(D.DEFAULT_MODEL.read_bytes()), np.array([face]), np.array([angle]))[0]
    (slot,) = pdview.layout(128, 64, 1)
    shown = oled.panel()[slot.y: slot.y + slot.size, slot.x: slot.x + slot.size]
    assert np.array_equal(shown, np.kron(want >= 128, np.ones((2, 2), bool)))
    # and the roll went out after the press, a die window a frame (a frame that changes no byte of
    # the window, as the settling ones may, sends nothing)
    window_bytes = 1 + slot.size * slot.size // 8
    windows = [t for t, _, data in a_roll.i2c if data[0] == 0x40 and len(data) == window_bytes]
    sent = len([t for t in windows if t > PRESS_MS * 1000])
    assert frames - SETTLE_FRAMES <= sent <= frames


def test_the_same_seed_and_press_give_the_same_run(firmware, pico_image, a_roll):
    uf2, bootrom = firmware
    again = Rp2Firmware(uf2, bootrom, fs=pico_image, seed=7, presses=[(PRESS_MS, 100)], until_ms=6000).run()
    assert again.serial == a_roll.serial
    assert again.i2c == a_roll.i2c  # the same bytes at the same emulated microsecond


NATMOD_CHECK = """
import pipnet
out = bytearray(1024)
for name in ("model.blob", "fast.blob"):
    blob = open(name, "rb").read()
    for plan in (pipnet.Model.STREAM, pipnet.Model.FULL):
        m = pipnet.Model(blob, plan)
        for face in range(1, 7):
            for code in ANGLES:
                m.generate(face, code, out)
                print(name, plan, face, code, out.hex())
        m = None
"""
ANGLES = (-127, -40, 0, 77, 127)


def test_the_shipped_natmod_gives_the_reference_bytes_on_the_firmware(firmware, tmp_path):
    uf2, bootrom = firmware
    stage = stage_pico(tmp_path / "pico")
    (stage / "main.py").unlink()  # the REPL only
    (stage / "fast.blob").write_bytes((D.DEFAULT_MODEL.parent / "fast.blob").read_bytes())
    with Rp2Firmware(uf2, bootrom, fs=littlefs_image(stage), interactive=True, until_ms=600_000) as fw:
        fw.raw_repl()
        out = fw.exec(f"ANGLES = {ANGLES!r}\n" + NATMOD_CHECK)
    lines = out.split()
    checked = 0
    for name, plan, face, code, hexed in zip(*[iter(lines)] * 5):
        shipped = "default.blob" if name == "model.blob" else name
        model = load((D.DEFAULT_MODEL.parent / shipped).read_bytes())
        want = reference.run(model, np.array([int(face)]), np.array([int(code)]))[0]
        assert bytes.fromhex(hexed) == want.tobytes(), (name, plan, face, code)
        checked += 1
    assert checked == 2 * 2 * 6 * len(ANGLES)


def test_the_pico_modules_heap_and_natmod_figures_hold_on_the_firmware(firmware, tmp_path):
    """HEAP_BYTES is the heap the firmware gives (no more); importing the natmod takes no more of
    it than pipdream.boards.natmod_heap counts (the rp2 port keeps native code in the heap)."""
    uf2, bootrom = firmware
    stage = stage_pico(tmp_path / "pico")
    (stage / "main.py").unlink()  # the REPL only
    with Rp2Firmware(uf2, bootrom, fs=littlefs_image(stage), interactive=True, until_ms=600_000) as fw:
        fw.raw_repl()
        out = fw.exec("import gc\ngc.collect()\nheap = gc.mem_free() + gc.mem_alloc()\nfree = gc.mem_free()\n"
                      "import pipnet\ngc.collect()\nprint(heap, free - gc.mem_free())")
    heap, natmod = (int(x) for x in out.split())
    pico = D.board_module("pico")
    assert pico.constants["HEAP_BYTES"] <= heap, heap
    assert 0 < natmod <= boards.natmod_heap(pico), natmod
