"""The app finds its board module: pdboard, else the one for the port it detects; without
either it says, in one line, which board it detected, or that it could not tell."""

from __future__ import annotations

from pipdream import micropython as mpy

SHOW = """
import sys, pdapp
{setup}
try:
    pdapp.find_board()
except ImportError as e:
    print("said:", e)
"""


def _said(setup: str = "") -> str:
    out = mpy.run(SHOW.format(setup=setup), path=[mpy.DEVICE_DIR])
    return next(line for line in out.splitlines() if line.startswith("said: "))[len("said: "):]


def test_an_unknown_port_is_said_to_be_unknown_with_nothing_left_dangling():
    said = _said()  # the unix port: sys.platform "linux", no board module anywhere
    assert said.startswith("no board module: could not tell which board this is (sys.platform linux")
    assert "copy boards/board_<name>.py to the board as pdboard.py (pipdream deploy --board <name>)" in said
    assert not said.rstrip(")").endswith(" on") and " on)" not in said


def test_a_detected_board_is_named_when_its_module_is_missing():
    said = _said("pdapp._port = lambda: ('rp2', 'Raspberry Pi Pico with RP2040')")
    assert said == ("no board module: this is a pico (sys.platform rp2) but neither pdboard.py nor "
                    "board_pico.py is on it: copy boards/board_pico.py to the board as pdboard.py "
                    "(pipdream deploy --board pico)")
