"""The app finds its board module: pdboard, else the board_<name> module on its path whose PORT
is this port and whose MACHINE names this board's MCU (what package.json installs: every one);
without one it says, in one line, what it saw and which modules it tried."""

from __future__ import annotations

import pytest
from pipdream import boards
from pipdream import micropython as mpy
from pipdream.paths import BOARDS

SHOW = """
import sys, pdapp
{setup}
try:
    print("found:", pdapp._detect_board().NAME)
except ImportError as e:
    print("said:", e)
"""


def _run(setup: str = "", with_boards: bool = True) -> str:
    path = [mpy.DEVICE_DIR, BOARDS] if with_boards else [mpy.DEVICE_DIR]
    out = mpy.run(SHOW.format(setup=setup), path=path)
    line = next(x for x in out.splitlines() if x.startswith(("said: ", "found: ")))
    return line


def test_an_unknown_port_is_said_to_be_unknown_with_nothing_left_dangling():
    said = _run(with_boards=False)  # the unix port: sys.platform "linux", no board module anywhere
    assert said.startswith("said: no board module: no pdboard.py and no board_*.py for this board "
                           "(sys.platform linux")
    assert "copy boards/board_<name>.py to the board as pdboard.py (pipdream deploy --board <name>)" in said
    assert not said.rstrip(")").endswith(" on") and " on)" not in said


def test_a_port_no_module_is_for_names_the_modules_it_tried():
    said = _run()  # every board module on the path, none of them for the unix port
    tried = ", ".join(f"board_{n}" for n in boards.known_boards())
    assert said.startswith(f"said: no board module: none of {tried} is for this board (sys.platform linux")


@pytest.mark.parametrize("name", boards.known_boards())
def test_each_board_is_found_by_what_its_firmware_says(name):
    b = boards.board_module(name)
    port = "circuitpython" if b.circuitpython else b.port
    assert _run(f"pdapp._port = lambda: ({port!r}, {b.constants['MACHINE']!r})") == f"found: {name}"


@pytest.mark.parametrize("machine, found", [
    ("Raspberry Pi Pico W with RP2040", "pico"),  # another RP2040 board: the Pico's module
    ("Raspberry Pi Pico2 with RP2350-RISCV", None),  # the RP2350's RISC-V mode: armv6m code cannot run
])
def test_a_board_of_the_same_mcu_takes_its_module_and_another_mode_none(machine, found):
    said = _run(f"pdapp._port = lambda: ('rp2', {machine!r})")
    assert said == f"found: {found}" if found else said.startswith("said: no board module: none of ")
