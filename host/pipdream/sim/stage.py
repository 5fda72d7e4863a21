"""A simulated board's filesystem and world, from the repo's device app and board modules.

    root = stage_root(tmp, board="pico", natmod=natmod_x64(), settings={"BACKEND": "natmod"})
    world = board_world("pico", script)

The root holds what `pipdream deploy` puts on a board (pipdream.deploy.build_plan: the app
compiled with mpy-cross, main.py and pdsettings.py as source, the board module as pdboard,
the model), built for x64 (the simulation runs on the unix port) with the x64 natmod, and any
settings appended to pdsettings.py. The world has the board module's display (I2C or SPI
pins, address, size) and button.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipdream import deploy
from pipdream.paths import MODELS
from pipdream.sim.world import BOARDS, Display, Script, World

DEFAULT_MODEL = MODELS / "default.blob"
SIM_ARCH = "x64"  # the unix port's native code


def board_constants(name: str) -> dict[str, Any]:
    """The literal constants of boards/board_<name>.py, read without running it."""
    return dict(deploy.board_module(name).constants)


def simulated_boards() -> list[str]:
    """Boards with both a board module and a simulation profile (MicroPython boards)."""
    return [b for b in BOARDS if b in deploy.known_boards()]


def board_display(c: dict[str, Any], name: str = "oled") -> Display:
    w, h = c.get("DISPLAY_WIDTH", 128), c.get("DISPLAY_HEIGHT", 64)
    if c.get("SPI_ID") is not None:
        return Display(name, w, h, bus="spi", sck=c["SPI_SCK"], dc=c["SPI_DC"], cs=c.get("SPI_CS"),
                       res=c.get("SPI_RES"))
    addr = (c.get("DISPLAY_ADDRS") or (0x3C,))[0]
    return Display(name, w, h, addr=addr, scl=c["I2C_SCL"], sda=c["I2C_SDA"])


def button(c: dict[str, Any]) -> tuple[int | str, int]:
    """(pin, active level) of the board's button."""
    return c["BUTTON_PIN"], c.get("BUTTON_ACTIVE", 0)


def circuitpython_board_world(name: str, script: Script, **kw: Any) -> World:
    """The world of a CircuitPython board module (cp_pico): same display and button wiring."""
    return World(board="pico", displays=[board_display(board_constants(name))], script=script, **kw)


def board_world(name: str, script: Script, **kw: Any) -> World:
    if name not in BOARDS:
        raise ValueError(f"board {name!r} has no simulation profile; simulated: {', '.join(BOARDS)}")
    return World(board=name, displays=[board_display(board_constants(name))], script=script, **kw)


def stage_root(dest: Path, *, board: str = "pico", natmod: Path | None = None,
               model: Path = DEFAULT_MODEL, settings: dict[str, Any] | None = None,
               compile_py: bool = True) -> Path:
    """Write the board's filesystem into dest (which must be empty or missing)."""
    module = deploy.board_module(board)
    dest.mkdir(parents=True, exist_ok=True)
    if any(dest.iterdir()):
        raise ValueError(f"{dest} is not empty")
    items = deploy.build_plan(module, SIM_ARCH, model=model, natmod=natmod, compile_py=compile_py)
    deploy.write_stage(items, dest, log=lambda _: None)
    if settings:
        settings_py = dest / "pdsettings.py"
        with settings_py.open("a") as f:
            f.write("\n# set by the simulation (pipdream.sim.stage)\n")
            for k, v in settings.items():
                if not k.isupper():
                    raise ValueError(f"setting names are upper case: {k!r}")
                f.write(f"{k} = {v!r}\n")
    return dest


FONT_PATH = "lib/font5x8.bin"
FONT_W = 5  # Adafruit's font5x8.bin: 5 columns a glyph, placed 6 px apart by adafruit_framebuf


def stage_circuitpython_root(dest: Path, *, board: str = "cp_pico", model: Path = DEFAULT_MODEL,
                             settings: dict[str, Any] | None = None, font: str | None = FONT_PATH) -> Path:
    """A CircuitPython board's filesystem: the same app with code.py, no natmod, and a 5x8
    font5x8.bin for adafruit_framebuf's text() where Adafruit's guides put it (see font_bin;
    font=None leaves it out, font="font5x8.bin" puts it at the root)."""
    root = stage_root(dest, board=board, model=model, settings=settings)  # code.py, no natmod
    if font is not None:
        (root / font).parent.mkdir(parents=True, exist_ok=True)
        (root / font).write_bytes(font_bin())
    return root


def font_bin() -> bytes:
    """A font file in adafruit_framebuf's format (width 5, height 8, then 5 column bytes for each of
    256 characters, bit 0 at the top: BitmapFont's layout), the size Adafruit's font5x8.bin has.
    PyPI does not ship that file; these glyphs are MicroPython's built-in 8x8 font rendered by the
    real runtime's framebuf, its 6 inked columns (1..6) squeezed to 5 by OR-ing the middle two."""
    import subprocess

    from pipdream.sim.runner import micropython_binary

    code = ("import framebuf, sys\n"
            "b = bytearray(8)\n"
            "f = framebuf.FrameBuffer(b, 8, 8, framebuf.MONO_VLSB)\n"
            "out = bytearray([5, 8])\n"
            "for c in range(256):\n"
            "    f.fill(0)\n"
            "    f.text(chr(c) if 32 <= c < 127 else ' ', 0, 0, 1)\n"
            "    out += bytes((b[1], b[2], b[3] | b[4], b[5], b[6]))\n"
            "sys.stdout.buffer.write(out)\n")
    r = subprocess.run([micropython_binary(), "-c", code], capture_output=True, check=True, timeout=60)
    if len(r.stdout) != 2 + 256 * FONT_W:
        raise RuntimeError(f"font rendering gave {len(r.stdout)} bytes")
    return r.stdout


def device_setting(name: str) -> Any:
    """A value of device/pdsettings.py (where the app's settings are defined)."""
    return deploy.device_setting(name)


def natmod_x64() -> Path:
    """The x64 natmod the unix port loads, built with `make -C natmod` when missing or stale."""
    from pipdream.micropython import natmod_mpy

    return natmod_mpy("x64")
