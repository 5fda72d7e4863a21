"""The same die app on CircuitPython (CPython, the real adafruit_ssd1306, busio/digitalio stand-ins)
rolls what it rolls on MicroPython (the natmod, our driver) and shows the same die."""

from __future__ import annotations

import numpy as np
from pipdream.sim import stage
from pipdream.sim.demo import ROLL_LINE
from pipdream.sim.runner import run_board, run_circuitpython
from pipdream.sim.world import Script

FAST_ROLL = {"ROLL_MS": 0, "MIN_FRAMES": 2}  # two tumble frames: the test is about the last one


def one_roll(quiet_ms: float) -> Script:
    s = Script().quiet(300, max_ms=30_000).mark("roll 1")
    # two pure-Python images: about a minute each on a Pico (bench/results/rp2040_firmware.json)
    return s.press(15, hold_ms=100, bounce_edges=3).quiet(quiet_ms, max_ms=300_000).end()


def test_circuitpython_and_micropython_roll_the_same_die(tmp_path):
    cp_root = stage.stage_circuitpython_root(tmp_path / "cp", settings={"BACKEND": "python", **FAST_ROLL})
    cp = run_circuitpython(stage.circuitpython_board_world("cp_pico", one_roll(600), seed=21), cp_root)
    mp_root = stage.stage_root(tmp_path / "mp", natmod=stage.natmod_x64(),
                               settings={"BACKEND": "natmod", **FAST_ROLL})
    mp = run_board(stage.board_world("pico", one_roll(600), seed=21), script=mp_root / "main.py",
                   root=mp_root)

    cp_roll = [ROLL_LINE.search(line) for line in cp.console if ROLL_LINE.search(line)]
    mp_roll = [ROLL_LINE.search(line) for line in mp.console if ROLL_LINE.search(line)]
    assert len(cp_roll) == len(mp_roll) == 1
    assert cp_roll[0].group(5) == "python" and mp_roll[0].group(5) == "natmod"
    assert cp_roll[0].group(2, 3) == mp_roll[0].group(2, 3)  # face and angle
    for result in (cp, mp):
        oled = result.view.displays["oled"]
        assert oled.unknown_commands == [] and oled.notes == []
    # The die window (64x64, centred) is drawn by the app's own code on both paths; text around
    # it comes from two different fonts (adafruit_framebuf's file font, framebuf's built-in one).
    a, b = cp.frames[-1].panel, mp.frames[-1].panel
    assert np.array_equal(a[:, 32:96], b[:, 32:96])


BUSIO = """
import time, board, busio
def make():
    try:
        busio.I2C(board.GP5, board.GP4, frequency=400_000)
        print("bus made")
    except (RuntimeError, ValueError) as e:
        print(type(e).__name__, e)
make()            # no display module on GP4/GP5: nothing pulls the lines up
time.sleep(0.02)  # the script plugs the display in meanwhile
make()
make()            # the unit is taken by the bus just made
"""


def test_busio_i2c_checks_the_pull_ups_and_the_unit_like_the_rp2040_port(tmp_path):
    """ports/raspberrypi/common-hal/busio/I2C.c, common_hal_busio_i2c_construct: no pull-up (no
    display module on the bus) is a RuntimeError; a unit already made is a ValueError."""
    (tmp_path / "code.py").write_text(BUSIO)
    world = stage.circuitpython_board_world("cp_pico", Script().wait(10).attach("oled").wait(100).end())
    world.displays[0].present = False
    r = run_circuitpython(world, tmp_path, check=False)
    assert r.console == ["RuntimeError No pull up found on SDA or SCL; check your wiring", "bus made",
                         "ValueError I2C peripheral in use"], r.console_text()


def test_without_a_display_circuitpython_rolls_on_the_console_and_finds_it_later(tmp_path):
    # no model: a roll takes no time (a press during a multi-second pure-Python frame is seen,
    # polled, as a long one and opens the settings)
    root = stage.stage_circuitpython_root(tmp_path / "cp", settings={"MODEL_PATH": "absent.blob"})
    s = Script().wait(300).press(15, hold_ms=100).wait(1500).attach("oled").wait(2500)
    s.press(15, hold_ms=100).quiet(600, max_ms=60_000).end()
    world = stage.circuitpython_board_world("cp_pico", s, seed=3)
    world.displays[0].present = False
    r = run_circuitpython(world, root)
    text = r.console_text()
    assert "Traceback" not in text, text
    lost = [x for x in r.console if "no display" in x]
    assert len(lost) == 1, text
    rolls = [x for x in r.console if ROLL_LINE.search(x)]
    found = [i for i, x in enumerate(r.console) if x.startswith("pipdream: display found")]
    assert len(rolls) == 2 and len(found) == 1, text
    assert r.console.index(rolls[0]) < found[0] < r.console.index(rolls[1])


def test_circuitpython_text_sits_on_the_apps_8_pixel_grid_from_the_font_in_lib(tmp_path):
    """adafruit_framebuf opens font5x8.bin by a relative path and sets glyphs 6 px apart; the app
    finds the file in / or /lib and puts one 5x8 glyph in each 8 px cell, as pdview centres."""
    root = stage.stage_circuitpython_root(tmp_path / "cp", settings={"BACKEND": "python"})
    r = run_circuitpython(stage.circuitpython_board_world("cp_pico", Script().quiet(300).wait(4500).end()),
                          root)
    assert not any("no display" in x for x in r.console), r.console_text()  # not lost every 2 s
    title = r.frames[-1].panel  # "pipdream" / "" / "press to roll", centred for 8 px a character
    rows = np.nonzero(title.any(axis=1))[0]
    first = title[rows[0]:rows[0] + 8]
    x0 = (128 - 8 * len("pipdream")) // 2
    cols = np.nonzero(first.any(axis=0))[0]
    assert cols.min() >= x0 and cols.max() < x0 + 64
    for i in range(8):  # ink in every cell, and only in its glyph's 5 columns
        cell = first[:, x0 + 8 * i: x0 + 8 * i + 8]
        assert cell[:, 1:6].any() and not cell[:, [0, 6, 7]].any(), i


def test_without_a_font_file_there_is_no_text_and_the_display_stays(tmp_path):
    root = stage.stage_circuitpython_root(tmp_path / "cp", settings={"BACKEND": "python"}, font=None)
    r = run_circuitpython(stage.circuitpython_board_world("cp_pico", Script().quiet(300).wait(4500).end()),
                          root)
    assert not any("no display" in x for x in r.console), r.console_text()
    assert any(x.startswith("pipdream: display found") and "no text: font5x8.bin is in neither / nor /lib"
               in x for x in r.console), r.console_text()
