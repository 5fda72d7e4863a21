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


class Display:
    """adafruit_ssd1306.SSD1306_I2C with windowed updates: the display interface of docs/device.md."""

    def __init__(self, oled):
        self.oled = oled
        self.width = oled.width
        self.height = oled.height
        self.buffer = memoryview(oled.buffer)[1:]  # its buffer starts with the 0x40 control byte
        self._col_offset = (128 - self.width) // 2 if self.width < 128 else 0

    def fill(self, c):
        self.oled.fill(c)

    def text(self, s, x, y, c):
        self.oled.text(s, x, y, c)

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
        self.width = cfg.get("DISPLAY_WIDTH", 128)
        self.height = cfg.get("DISPLAY_HEIGHT", 64)
        self.addrs = cfg.get("DISPLAY_ADDRS", (0x3C, 0x3D))
        dio = digitalio.DigitalInOut(getattr(board, cfg["BUTTON_PIN"]))
        pull = cfg.get("BUTTON_PULL", "up")
        dio.switch_to_input(pull=None if pull is None else getattr(digitalio.Pull, pull.upper()))
        self.button_pin = _Pin(dio)
        self.button_active = cfg.get("BUTTON_ACTIVE", 0)
        self.bus = busio.I2C(getattr(board, cfg["I2C_SCL"]), getattr(board, cfg["I2C_SDA"]),
                             frequency=cfg.get("I2C_FREQ", 400000))
        self.display_info = "SSD1306 %dx%d at %s (SDA %s, SCL %s)" % (
            self.width, self.height, "/".join("0x%02X" % a for a in self.addrs),
            cfg["I2C_SDA"], cfg["I2C_SCL"])

    def attach_button_irq(self, handler):
        return False

    def open_display(self):
        import adafruit_ssd1306

        err = None
        for addr in self.addrs:
            try:
                return Display(adafruit_ssd1306.SSD1306_I2C(self.width, self.height, self.bus, addr=addr))
            except (OSError, ValueError) as e:  # adafruit_bus_device: ValueError "No I2C device at address"
                err = e
        raise OSError(19, str(err))  # 19 = ENODEV, as MicroPython reports a missing device
