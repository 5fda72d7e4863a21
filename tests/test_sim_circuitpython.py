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
    return s.press(15, hold_ms=100, bounce_edges=3).quiet(quiet_ms, max_ms=60_000).end()


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
