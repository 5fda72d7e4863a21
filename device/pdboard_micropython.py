"""Builds a board from a board module's constants on MicroPython: the one app file that imports machine.

A board module (boards/board_*.py, installed as pdboard.py) lists its pins and
calls pdboard_micropython.Board(globals()). The result is the board interface the app uses
(docs/device.md): clock, random_bytes, button pin (+ IRQ), open_display().
"""

import machine

import pdclock
import pdrandom


def _pin_name(p, port):
    if isinstance(p, str):
        return p
    return ("GP%d" if port == "rp2" else "GPIO%d") % p  # as the board's silkscreen says


class Board:
    def __init__(self, cfg):
        self.cfg = cfg
        self.name = cfg["NAME"]
        self.natmod_arch = cfg.get("NATMOD_ARCH")
        self.scratch_budget = cfg.get("SCRATCH_BUDGET")
        self.cores = cfg.get("CORES", 1)
        self.clock = cfg.get("CLOCK") or pdclock
        self.entropy = cfg.get("ENTROPY", "os.urandom")
        if cfg.get("ENTROPY_RADIO"):
            _radio_on()
        self.random_bytes = pdrandom.best_source(self.clock.ticks_us)
        self.entropy = pdrandom.source_name(self.random_bytes, self.entropy)

        self.button_active = cfg.get("BUTTON_ACTIVE", 0)
        pulls = {"up": machine.Pin.PULL_UP, "down": machine.Pin.PULL_DOWN, None: None}
        pull = pulls[cfg.get("BUTTON_PULL", "up")]
        self.button_pin = machine.Pin(cfg["BUTTON_PIN"], machine.Pin.IN, pull)

        self.width = cfg.get("DISPLAY_WIDTH", 128)
        self.height = cfg.get("DISPLAY_HEIGHT", 64)
        self.addrs = cfg.get("DISPLAY_ADDRS", (0x3C, 0x3D))
        self.bus = None
        self.bus_error = None
        if cfg.get("SPI_ID") is None:
            self._make_i2c()
            self.display_info = "SSD1306 %dx%d at %s on I2C%s (SDA %s, SCL %s, %d kHz)" % (
                self.width, self.height, "/".join("0x%02X" % a for a in self.addrs),
                "" if cfg.get("I2C_ID") is None else cfg["I2C_ID"],
                _pin_name(cfg["I2C_SDA"], cfg.get("PORT")), _pin_name(cfg["I2C_SCL"], cfg.get("PORT")),
                cfg.get("I2C_FREQ", 400000) // 1000)
        else:
            self.display_info = "SSD1306 %dx%d on SPI%d" % (self.width, self.height, cfg["SPI_ID"])

    def _make_i2c(self):
        cfg = self.cfg
        scl, sda = machine.Pin(cfg["I2C_SCL"]), machine.Pin(cfg["I2C_SDA"])
        freq = cfg.get("I2C_FREQ", 400000)
        try:
            if cfg.get("I2C_ID") is None:
                self.bus = machine.SoftI2C(scl=scl, sda=sda, freq=freq)
            else:
                self.bus = machine.I2C(cfg["I2C_ID"], scl=scl, sda=sda, freq=freq)
        except (OSError, ValueError) as e:  # bad pins for this port: reported with the display error
            self.bus_error = e

    def attach_button_irq(self, handler):
        """Call handler(pin) on both edges. Returns how it is called: "hard" (in the interrupt:
        rp2), "scheduled" (through micropython.schedule, soon after: the esp32 port's only way,
        its Pin.irq takes no hard=), or False when this pin cannot interrupt (the app polls)."""
        if not self.cfg.get("BUTTON_IRQ", True):
            return False
        P = machine.Pin
        trigger = P.IRQ_FALLING | P.IRQ_RISING
        if self.cfg.get("BUTTON_IRQ_HARD", True):
            try:
                self.button_pin.irq(handler=handler, trigger=trigger, hard=True)
                return "hard"
            except TypeError:  # a port whose Pin.irq has no hard= (esp32): its scheduled IRQ below
                pass
            except (AttributeError, ValueError, OSError):
                return False
        try:
            self.button_pin.irq(handler=handler, trigger=trigger)
        except (AttributeError, TypeError, ValueError, OSError):
            return False
        return "scheduled"

    def open_display(self):
        """The SSD1306 at the first address that answers; OSError when none does."""
        import ssd1306

        cfg = self.cfg
        if cfg.get("SPI_ID") is not None:
            spi = machine.SPI(cfg["SPI_ID"], baudrate=10000000, sck=machine.Pin(cfg["SPI_SCK"]),
                              mosi=machine.Pin(cfg["SPI_MOSI"]))
            return ssd1306.SSD1306_SPI(self.width, self.height, spi, machine.Pin(cfg["SPI_DC"]),
                                       machine.Pin(cfg["SPI_RES"]), machine.Pin(cfg["SPI_CS"]))
        if self.bus is None:
            raise OSError(19, "I2C bus: %s" % (self.bus_error,))  # 19 = ENODEV
        err = None
        for addr in self.addrs:
            try:
                return ssd1306.SSD1306_I2C(self.width, self.height, self.bus, addr)
            except OSError as e:  # ENODEV (unix, esp32), EIO (rp2) or ETIMEDOUT (some esp32 builds)
                err = e
        raise err


def _radio_on():
    """ESP32: esp_random() is only truly random while the radio runs (ESP-IDF docs)."""
    try:
        import network

        network.WLAN(network.STA_IF).active(True)
    except Exception as e:  # no network module (some builds): pseudo-random, still uniform
        print("pipdream: radio entropy unavailable (%s); os.urandom is pseudo-random" % (e,))
