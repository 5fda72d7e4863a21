"""Builds a board on CircuitPython (board, busio, digitalio) with the adafruit_ssd1306 driver.

Same board interface as pdboard_micropython (docs/device.md). Pins are named as in
CircuitPython's `board` module ("GP4", "SDA", ...). CircuitPython has no pin IRQs,
so the button is polled; it cannot load native modules, so inference runs in
pure Python (pdinfer picks that itself).
"""

import board
import busio
import digitalio

import pdclock
import pdrandom

_DATA = 0x40  # control byte: display data follows
_COL_ADDR = 0x21
_PAGE_ADDR = 0x22


class _Pin:
    """value() -> 0/1 over a DigitalInOut, like machine.Pin."""

    def __init__(self, dio):
        self.dio = dio

    def value(self):
        return 1 if self.dio.value else 0


class Window:
    def __init__(self, disp, x, y, w, h):
        if y & 7 or h & 7 or x < 0 or y < 0 or x + w > disp.width or y + h > disp.height:
            raise ValueError("window outside the display or not page aligned")
        self.x, self.y, self.w, self.h = x, y, w, h
        self.p0 = y >> 3
        self.p1 = (y + h - 1) >> 3
        self.nbytes = w * (self.p1 - self.p0 + 1)
        self.data = bytearray(1 + self.nbytes)  # control byte + the window's bytes, page by page
        self.data[0] = _DATA


# adafruit_framebuf's text() opens its font by a relative path (BitmapFont: open(font_name)), from
# the current folder: "/" when code.py runs. Adafruit's guides put font5x8.bin at the root or in /lib.
FONT_PATHS = ("font5x8.bin", "lib/font5x8.bin")


def find_font():
    """(path, glyph width) of the first font5x8.bin in FONT_PATHS, or (None, 0)."""
    for path in FONT_PATHS:
        try:
            with open(path, "rb") as f:
                return path, f.read(1)[0]  # the file's first byte: the glyph width
        except (OSError, IndexError):
            pass
    return None, 0


class Display:
    """adafruit_ssd1306.SSD1306_I2C with windowed updates: the display interface of docs/device.md.

    Text is drawn on the app's 8-pixel character grid (pdview centres lines for 8x8 glyphs, as
    framebuf's built-in font): one character a cell, the file font's glyph centred in it
    (adafruit_framebuf places glyphs font width + 1 apart: 6 px for its 5x8 font). Without a font
    file there is no text; the display still works (the console says so when it is found)."""

    def __init__(self, oled):
        self.oled = oled
        self.width = oled.width
        self.height = oled.height
        self.buffer = memoryview(oled.buffer)[1:]  # its buffer starts with the 0x40 control byte
        self._col_offset = (128 - self.width) // 2 if self.width < 128 else 0
        self.font, w = find_font()
        self._glyph_x = (8 - w) // 2 if 0 < w < 8 else 0
        self.transport = "" if self.font else ", no text: font5x8.bin is in neither / nor /lib"

    def fill(self, c):
        self.oled.fill(c)

    def text(self, s, x, y, c):
        if self.font is None:
            return
        o = self.oled
        x += self._glyph_x
        try:
            for ch in s:
                o.text(ch, x, y, c, font_name=self.font)
                x += 8
        except OSError:  # the font file went away: no more text, but the display is still there
            self.font = None

    def show(self):
        self.oled.show()

    def window(self, x, y, w, h):
        return Window(self, x, y, w, h)

    def show_window(self, win):
        o = self.oled
        c0 = win.x + self._col_offset
        for cmd in (_COL_ADDR, c0, c0 + win.w - 1, _PAGE_ADDR, win.p0, win.p1):
            o.write_cmd(cmd)
        i = 1
        for p in range(win.p0, win.p1 + 1):
            start = p * self.width + win.x
            win.data[i : i + win.w] = self.buffer[start : start + win.w]
            i += win.w
        with o.i2c_device:
            o.i2c_device.write(win.data)


class Board:
    def __init__(self, cfg):
        self.cfg = cfg
        self.name = cfg["NAME"]
        self.natmod_arch = None  # CircuitPython cannot load native .mpy modules
        self.scratch_budget = None  # (the pure-Python backend has one plan)
        self.cores = 1
        self.clock = cfg.get("CLOCK") or pdclock
        self.entropy = cfg.get("ENTROPY", "os.urandom")
        self.random_bytes = pdrandom.best_source(self.clock.ticks_us)
        self.entropy = pdrandom.source_name(self.random_bytes, self.entropy)
        self.width = cfg.get("DISPLAY_WIDTH", 128)
        self.height = cfg.get("DISPLAY_HEIGHT", 64)
        self.addrs = cfg.get("DISPLAY_ADDRS", (0x3C, 0x3D))
        dio = digitalio.DigitalInOut(getattr(board, cfg["BUTTON_PIN"]))
        pull = cfg.get("BUTTON_PULL", "up")
        dio.switch_to_input(pull=None if pull is None else getattr(digitalio.Pull, pull.upper()))
        self.button_pin = _Pin(dio)
        self.button_active = cfg.get("BUTTON_ACTIVE", 0)
        self.bus = None
        self.bus_error = None
        self._make_bus()
        self.display_info = "SSD1306 %dx%d at %s (SDA %s, SCL %s)" % (
            self.width, self.height, "/".join("0x%02X" % a for a in self.addrs),
            cfg["I2C_SDA"], cfg["I2C_SCL"])

    def _make_bus(self):
        cfg = self.cfg
        try:
            self.bus = busio.I2C(getattr(board, cfg["I2C_SCL"]), getattr(board, cfg["I2C_SDA"]),
                                 frequency=cfg.get("I2C_FREQ", 400000))
        except (RuntimeError, ValueError) as e:  # "No pull up found on SDA or SCL": no display module
            self.bus_error = e

    def attach_button_irq(self, handler):
        return False

    def open_display(self):
        """The SSD1306 at the first address that answers; OSError when none does (or no bus yet:
        busio.I2C is made again at each try, so a display plugged in later is found)."""
        import adafruit_ssd1306

        if self.bus is None:
            self._make_bus()
            if self.bus is None:
                raise OSError(19, "I2C bus: %s" % (self.bus_error,))  # 19 = ENODEV
        err = None
        for addr in self.addrs:
            try:
                return Display(adafruit_ssd1306.SSD1306_I2C(self.width, self.height, self.bus, addr=addr))
            except (OSError, ValueError) as e:  # adafruit_bus_device: ValueError "No I2C device at address"
                err = e
        raise OSError(19, str(err))  # 19 = ENODEV, as MicroPython reports a missing device
