"""Three independent SSD1306 drivers show the same picture on the emulated display.

- ours (device/ssd1306.py) on the real MicroPython runtime over the `machine` stand-in, I2C and SPI;
- a micropython-lib-style driver (one command per transaction, writevto for the frame);
- the real `adafruit_ssd1306` from PyPI on CPython over the `busio` stand-in.
Each draws the same random bitmap pixel by pixel; the panel must show exactly that bitmap.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import adafruit_ssd1306
import numpy as np
import pytest
from pipdream.sim import circuitpython as cp
from pipdream.sim.bus import BoardView
from pipdream.sim.runner import run_board
from pipdream.sim.world import Display, World

ROOT = Path(__file__).resolve().parents[1]
DEVICE = ROOT / "device"

# A driver in the style of micropython-lib's ssd1306.py: every command byte in its own
# transaction (control byte 80h), the whole frame through writevto with a 40h prefix.
MPLIB_STYLE = """
import framebuf

class Oled(framebuf.FrameBuffer):
    def __init__(self, w, h, i2c, addr=0x3C):
        self.w, self.h, self.i2c, self.addr = w, h, i2c, addr
        self.buf = bytearray(w * h // 8)
        super().__init__(self.buf, w, h, framebuf.MONO_VLSB)
        for c in (0xAE, 0x20, 0x00, 0x40, 0xA1, 0xA8, h - 1, 0xC8, 0xD3, 0x00,
                  0xDA, 0x02 if w > 2 * h else 0x12, 0xD5, 0x80, 0xD9, 0xF1, 0xDB, 0x30,
                  0x81, 0xFF, 0xA4, 0xA6, 0x8D, 0x14, 0xAF):
            self.cmd(c)

    def cmd(self, c):
        self.i2c.writeto(self.addr, bytes((0x80, c)))

    def show(self):
        for c in (0x21, 0, self.w - 1, 0x22, 0, self.h // 8 - 1):
            self.cmd(c)
        self.i2c.writevto(self.addr, (b"\\x40", self.buf))
"""


def bitmap(height: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).random((height, 128)) < 0.4


def draw_code(img: np.ndarray) -> str:
    """MicroPython lines drawing img into `d` pixel by pixel."""
    h = img.shape[0]
    return textwrap.dedent(f"""
        bits = bytes.fromhex("{np.packbits(img).tobytes().hex()}")
        for y in range({h}):
            for x in range(128):
                i = y * 128 + x
                if bits[i >> 3] & (0x80 >> (i & 7)):
                    d.pixel(x, y, 1)
    """)


def last_panel(result) -> np.ndarray:
    assert result.frames, result.console_text()
    oled = result.view.displays["oled"]
    assert oled.unknown_commands == [] and oled.notes == [], (oled.unknown_commands, oled.notes)
    return result.frames[-1].panel


def run_micropython(code: str, world: World, tmp_path: Path) -> np.ndarray:
    (tmp_path / "mplib_style.py").write_text(MPLIB_STYLE)
    result = run_board(world, code=code + "\nimport machine\nmachine.reset()\n",
                       extra_path=[DEVICE, tmp_path], check=False)
    assert result.end_kind == "reset", result.console_text()
    return last_panel(result)


@pytest.mark.parametrize("height", [64, 32])
def test_our_driver_over_i2c_shows_the_bitmap(height, tmp_path):
    img = bitmap(height, seed=height)
    code = f"from machine import I2C\nimport ssd1306\nd = ssd1306.SSD1306_I2C(128, {height}, I2C(0))\n"
    panel = run_micropython(code + draw_code(img) + "d.show()\n",
                            World(clock="virtual", displays=[Display(height=height)]), tmp_path)
    assert np.array_equal(panel, img)


def test_our_driver_over_spi_shows_the_bitmap(tmp_path):
    img = bitmap(64, seed=7)
    world = World(clock="virtual", displays=[Display(bus="spi", sck=18, dc=16, cs=17, res=20)])
    code = textwrap.dedent("""
        from machine import SPI, Pin
        import ssd1306
        spi = SPI(0, baudrate=10000000, sck=Pin(18), mosi=Pin(19))
        d = ssd1306.SSD1306_SPI(128, 64, spi, Pin(16), Pin(20), Pin(17))
    """)
    panel = run_micropython(code + draw_code(img) + "d.show()\n", world, tmp_path)
    assert np.array_equal(panel, img)


def test_our_driver_sends_only_the_window_that_changed(tmp_path):
    img = bitmap(64, seed=3)
    world = World(clock="virtual")
    code = textwrap.dedent("""
        from machine import I2C
        import ssd1306
        d = ssd1306.SSD1306_I2C(128, 64, I2C(0))
        win = d.window(32, 0, 64, 64)
    """)
    code += draw_code(img) + "d.show_window(win)\n"
    result = run_board(world, code=code + "import machine\nmachine.reset()\n", extra_path=[DEVICE],
                       check=False)
    window_frame = result.frames[-1]
    assert window_frame.data_bytes == 64 * 64 // 8
    expected = np.zeros_like(img)
    expected[:, 32:96] = img[:, 32:96]
    assert np.array_equal(window_frame.panel, expected)


@pytest.mark.parametrize("height", [64, 32])
def test_a_micropython_lib_style_driver_shows_the_bitmap(height, tmp_path):
    img = bitmap(height, seed=10 + height)
    code = f"from machine import I2C\nimport mplib_style\nd = mplib_style.Oled(128, {height}, I2C(0))\n"
    panel = run_micropython(code + draw_code(img) + "d.show()\n",
                            World(clock="virtual", displays=[Display(height=height)]), tmp_path)
    assert np.array_equal(panel, img)


@pytest.fixture
def circuitpython_board(tmp_path):
    """A CircuitPython board in this process; yields (world, path of its record stream)."""
    def make(world: World) -> Path:
        bus = tmp_path / "bus.txt"
        cp._current = cp.SimBoard(world.to_json(), str(bus))
        return bus

    yield make
    cp._current = None


@pytest.mark.parametrize("height", [64, 32])
def test_adafruit_ssd1306_over_the_busio_stand_in_shows_the_bitmap(height, circuitpython_board):
    img = bitmap(height, seed=20 + height)
    world = World(displays=[Display(height=height, scl="GP5", sda="GP4")])
    bus = circuitpython_board(world)
    i2c = cp.I2C(cp.PICO_PINS["GP5"], cp.PICO_PINS["GP4"], frequency=400_000)
    d = adafruit_ssd1306.SSD1306_I2C(128, height, i2c)
    for y, x in zip(*np.nonzero(img)):
        d.pixel(int(x), int(y), 1)
    d.show()
    cp.current()._out.flush()
    view = BoardView(world)
    for line in bus.read_text().splitlines():
        view.feed_line(line)
    view.finish()
    oled = view.displays["oled"]
    assert oled.unknown_commands == [] and oled.notes == []
    assert np.array_equal(view.frames[-1].panel, img)


def test_the_busio_stand_in_behaves_like_circuitpython(circuitpython_board):
    circuitpython_board(World())
    with pytest.raises(ValueError, match="Invalid pins"):
        cp.I2C(cp.PICO_PINS["GP4"], cp.PICO_PINS["GP5"])
    i2c = cp.I2C(cp.PICO_PINS["GP5"], cp.PICO_PINS["GP4"])
    with pytest.raises(RuntimeError, match="requires lock"):
        i2c.writeto(0x3C, b"\x00\xaf")
    assert i2c.try_lock() and not i2c.try_lock()
    assert i2c.scan() == [0x3C]
    with pytest.raises(OSError) as e:
        i2c.writeto(0x3D, b"\x00\xaf")
    assert e.value.errno == 19
    with pytest.raises(ValueError, match="No I2C device at address: 0x3d"):
        i2c.unlock()
        adafruit_ssd1306.SSD1306_I2C(128, 64, i2c, addr=0x3D)
