"""Board modules: complete, valid pins for their chip, in step with docs/wiring.md, and buildable;
every part of pipdream that knows boards takes them from the modules (a new module is picked up).

The build test runs each MicroPython board module's build() on the real runtime
with the simulated board's `machine` stand-in (host/pipdream/sim/mpy), which
checks pin and bus arguments as the port does, and opens the display through it.
"""

from __future__ import annotations

import ast
import json
import re

import pytest
from pipdream import boards
from pipdream.deploy import ARCH_NAMES, mip
from pipdream.flash import OFFSETS
from pipdream.mpremote_board.boards import emulated_board
from pipdream.sim import stage
from pipdream.sim.world import BOARDS as SIM_BOARDS
from pipdream.sim.world import Display, Script, World
from support.device import BOARDS, ROOT, run_device_script

WIRING = ROOT / "docs" / "wiring.md"
MODULES = sorted(p.stem for p in BOARDS.glob("board_*.py"))
MICROPYTHON_BOARDS = [m for m in MODULES if not boards.board_module(m[len("board_"):]).circuitpython]
RP2_BOARDS = [m for m in MODULES if boards.board_module(m[len("board_"):]).port == "rp2"]
REQUIRED = {
    "NAME": str, "PORT": str, "MACHINE": str, "FIRMWARE": str, "I2C_SDA": (int, str), "I2C_SCL": (int, str),
    "I2C_FREQ": int, "DISPLAY_WIDTH": int, "DISPLAY_HEIGHT": int, "DISPLAY_ADDRS": tuple,
    "BUTTON_PIN": (int, str), "BUTTON_PULL": str, "BUTTON_ACTIVE": int, "ENTROPY": str,
}
# what a MicroPython board module must also say: its heap, clock, flash and simulated machine
REQUIRED_MICROPYTHON = {"HEAP_BYTES": int, "APP_HEAP": int, "SCRATCH_BUDGET": int, "FREQ": int,
                        "FLASH_FS_BYTES": int, "I2C_ID": int, "SIM": dict}


def constants(module: str) -> dict:
    """The module's constants, each of them one (a value the host cannot read is a failure)."""
    tree = ast.parse((BOARDS / f"{module}.py").read_text())
    out: dict = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            out[node.targets[0].id] = boards.constant_value(node.value, out)
    out["_functions"] = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
    return out


def test_the_boards_of_the_issues_are_there():
    assert {"board_cp_pico", "board_esp32", "board_esp32c3", "board_pico", "board_pico2"} <= set(MODULES)


@pytest.mark.parametrize("module", MICROPYTHON_BOARDS)
def test_every_part_of_pipdream_that_knows_boards_picks_the_module_up(module):
    """The simulation, the emulator, mip, deploy and flash: derived from the module, no list to edit."""
    board = boards.board_module(module[len("board_"):])
    c = board.constants
    assert SIM_BOARDS[board.name]["heap"] == c["HEAP_BYTES"] - boards.natmod_heap(board)
    assert SIM_BOARDS[board.name]["freq"] == c["FREQ"]
    assert board.name in stage.simulated_boards()
    emulated = emulated_board(board.name, simulate=False)
    assert (emulated.machine, emulated.flash) == (c["MACHINE"], c["FLASH_FS_BYTES"])
    assert mip.package_file(board.name).name in mip.mip_packages()
    assert [board.path.name, f"boards/{board.path.name}"] in mip.mip_package_any()["urls"]
    if "FLASH_CHIP" in c:
        assert OFFSETS[c["FLASH_CHIP"]] == c["FLASH_OFFSET"]


@pytest.mark.parametrize("module", MODULES)
def test_every_board_module_names_bus_display_button_arch_and_entropy(module):
    c = constants(module)
    required = REQUIRED if c["PORT"] == "circuitpython" else {**REQUIRED, **REQUIRED_MICROPYTHON}
    for name, kind in required.items():
        assert isinstance(c.get(name), kind), f"{module}.{name}"
    assert c["NAME"] == module[len("board_"):]
    assert c["NATMOD_ARCH"] is None if c["PORT"] == "circuitpython" else c["NATMOD_ARCH"] in ARCH_NAMES
    assert " with " in c["MACHINE"]  # board " with " MCU (MICROPY_HW_*_NAME): how the app finds it
    assert c["I2C_FREQ"] == 400_000
    assert (c["DISPLAY_WIDTH"], c["DISPLAY_ADDRS"]) == (128, (0x3C, 0x3D))
    assert c["DISPLAY_HEIGHT"] in (32, 64)
    assert c["BUTTON_PULL"] == "up" and c["BUTTON_ACTIVE"] == 0  # to GND, internal pull-up
    assert len({c["I2C_SDA"], c["I2C_SCL"], c["BUTTON_PIN"]}) == 3
    assert c["_functions"] == ["build"]


@pytest.mark.parametrize("module", RP2_BOARDS)
def test_rp2_pins_are_a_real_i2c_pair_and_dma_targets_their_block(module):
    c = constants(module)
    sda, scl = c["I2C_SDA"], c["I2C_SCL"]
    # RP2040 and RP2350: I2C0/1 alternate every two GPIOs; SDA on even pins, SCL on odd ones
    assert sda % 2 == 0 and scl % 2 == 1 and (sda >> 1) & 1 == (scl >> 1) & 1 == c["I2C_ID"]
    assert all(0 <= p <= 28 for p in (sda, scl, c["BUTTON_PIN"]))
    # two APB blocks (0x4000_0000 up), I2C1 above I2C0; each block's TX DREQ is followed by its RX one
    assert 0x40000000 <= c["I2C_BLOCKS"][0] < c["I2C_BLOCKS"][1] < 0x50000000
    assert c["DREQ_I2C_TX"][1] - c["DREQ_I2C_TX"][0] == 2


def test_circuitpython_pico_uses_the_same_pins():
    cp, mp = constants("board_cp_pico"), constants("board_pico")
    for key in ("I2C_SDA", "I2C_SCL", "BUTTON_PIN"):
        assert cp[key] == f"GP{mp[key]}"


@pytest.mark.parametrize("module, forbidden", [
    # ESP32: strapping 0, 2, 5, 12, 15; flash 6-11; 34-39 are input-only without pull-ups
    ("board_esp32", {0, 2, 5, 12, 15, *range(6, 12), *range(34, 40)}),
    # ESP32-C3: strapping 2, 8, 9; flash 12-17; USB 18, 19
    ("board_esp32c3", {2, 8, 9, *range(12, 20)}),
])
def test_esp_pins_avoid_strapping_flash_and_input_only_pins(module, forbidden):
    c = constants(module)
    pins = {c["I2C_SDA"], c["I2C_SCL"], c["BUTTON_PIN"]}
    assert not pins & forbidden
    assert c["ENTROPY_RADIO"] is True  # esp_random() is only truly random with the radio on


def wiring_sections() -> dict[str, str]:
    text = WIRING.read_text()
    parts = re.split(r"^## ", text, flags=re.M)
    return {p.splitlines()[0]: p for p in parts[1:]}


def table_row(section: str, signal: str) -> str:
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells and cells[0] == signal:
            return cells[1]
    raise AssertionError(f"no {signal!r} row")


def pin_label(module: str, pin) -> str:
    if isinstance(pin, str):
        return pin
    return f"GP{pin}" if module in RP2_BOARDS else f"GPIO{pin}"


@pytest.mark.parametrize("module", MODULES)
def test_wiring_doc_has_a_table_and_a_diagram_matching_each_board_module(module):
    (section,) = [s for title, s in wiring_sections().items() if f"`{module}`" in title]
    c = constants(module)
    for signal, key in (("OLED SDA", "I2C_SDA"), ("OLED SCL", "I2C_SCL"), ("button", "BUTTON_PIN")):
        cell = table_row(section, signal)
        assert cell.split()[0] == pin_label(module, c[key]), (module, signal, cell)
    # a diagram of its own, or the one of a board wired the same (the Pico's, for the Pico 2 and
    # the CircuitPython Pico)
    same = re.search(r"The same wiring as the MicroPython Pico|The Pico's pinout and wiring", section)
    assert ("```" in section and "SSD1306" in section) or same, module


def test_wiring_doc_matches_the_atmega_firmware_pins():
    header = (ROOT / "boards" / "atmega328p" / "src" / "board.h").read_text()
    (section,) = [s for title, s in wiring_sections().items() if "Arduino Uno" in title]
    assert "SDA = A4 (PC4), SCL = A5 (PC5)" in header
    assert "#define BUTTON_BIT PD2" in header and "#define LED_BIT PB5" in header
    assert table_row(section, "OLED SDA") == "A4 (PC4)"
    assert table_row(section, "OLED SCL") == "A5 (PC5)"
    assert table_row(section, "button") == "D2 (PD2)"
    assert table_row(section, "busy LED") == "D13 (PB5)"
    assert "```" in section


def test_wiring_doc_has_a_bill_of_materials():
    bom = wiring_sections()["Bill of materials (one die)"]
    for part in ("microcontroller board", "SSD1306 OLED module", "push button", "jumper wires"):
        assert part in bom


BUILD = r"""
import json, os
import %(module)s
b = %(module)s.build()
out = {"name": b.name, "arch": b.natmod_arch, "info": b.display_info, "entropy": b.entropy,
       "random": len(b.random_bytes(16)), "button": b.button_pin.value(), "active": b.button_active,
       "irq": b.attach_button_irq(lambda pin: None)}
try:
    d = b.open_display()
    out["display"] = [type(d).__name__, d.addr, d.width, d.height]
except OSError as e:
    out["display"] = ["OSError", e.args[0]]
print(json.dumps(out))
"""


@pytest.mark.parametrize("present", [True, False])
@pytest.mark.parametrize("module", MICROPYTHON_BOARDS)
def test_board_builds_on_the_simulated_board_and_finds_or_misses_its_display(tmp_path, module, present):
    c = constants(module)
    display = Display("oled", c["DISPLAY_WIDTH"], c["DISPLAY_HEIGHT"], addr=c["DISPLAY_ADDRS"][0],
                      scl=c["I2C_SCL"], sda=c["I2C_SDA"], present=present)
    world = World(board=c["NAME"], displays=[display], script=Script().wait(10_000).end())
    world_json = world.write(tmp_path / "world.json")
    proc = run_device_script(BUILD % dict(module=module), "micropython",
                             extra_path=(ROOT / "host" / "pipdream" / "sim" / "mpy", BOARDS),
                             env={"PIPDREAM_SIM_WORLD": str(world_json)}, cwd=tmp_path)
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    assert (r["name"], r["arch"]) == (c["NAME"], c["NATMOD_ARCH"])
    assert r["random"] == 16
    # rp2's Pin.irq runs a hard handler in the interrupt; esp32's takes no hard= and always schedules
    assert r["irq"] == ("hard" if c.get("PORT") == "rp2" else "scheduled")
    assert (r["button"], r["active"]) == (1, 0)  # released: the pull-up holds it high
    sda, scl = (pin_label(module, c[k]) for k in ("I2C_SDA", "I2C_SCL"))
    size = f"128x{c['DISPLAY_HEIGHT']}"
    assert r["info"] == f"SSD1306 {size} at 0x3C/0x3D on I2C0 (SDA {sda}, SCL {scl}, 400 kHz)"
    if present:
        assert r["display"] == ["SSD1306_I2C", 0x3C, 128, c["DISPLAY_HEIGHT"]]
    else:
        # a NACKed address: EIO on the rp2 port's hardware I2C, ENODEV on the esp32 port
        assert r["display"] == ["OSError", c["SIM"]["i2c_errno"]]
        assert c["SIM"]["i2c_errno"] == (5 if c["PORT"] == "rp2" else 19)


def test_board_modules_never_leak_into_the_app():
    """App logic never imports machine: only the board builders do."""
    device = ROOT / "device"
    for path in device.glob("*.py"):
        imports = {n.names[0].name for n in ast.walk(ast.parse(path.read_text()))
                   if isinstance(n, ast.Import)}
        imports |= {n.module for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.ImportFrom)}
        if path.name not in ("pdboard_micropython.py", "pdboard_circuitpython.py"):
            assert "machine" not in imports, path.name
        if path.name in ("pdapp.py", "pdview.py", "pdbutton.py", "pdrandom.py", "pdtumble.py"):
            assert not imports & {"board", "busio", "digitalio", "ssd1306", "framebuf"}, path.name
