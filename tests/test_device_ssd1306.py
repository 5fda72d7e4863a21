"""Our SSD1306 driver on the real MicroPython runtime: what it puts on the bus, read by the emulator.

The driver runs under MicroPython against a bus that records every transaction;
the recording is replayed into host/pipdream/sim's datasheet emulator, whose
panel must show the driver's frame buffer. Byte counts come from the recording:
a 64x64 die window is 512 data bytes plus one 7-byte command transaction, not
the 1,024-byte frame.
"""

from __future__ import annotations

import numpy as np
import pytest
from pipdream.sim.ssd1306 import SSD1306 as Emulator
from support.device import run_json

DRIVER = r"""
import json, ssd1306

class I2C:
    def __init__(self):
        self.log = []
    def writeto(self, addr, buf):
        self.log.append([addr, bytes(buf).hex()])

class SPI:
    def __init__(self, dc):
        self.dc = dc
        self.log = []
    def init(self, **kw):
        pass
    def write(self, buf):
        self.log.append([self.dc.v, bytes(buf).hex()])

class Pin:
    OUT = 1
    def __init__(self):
        self.v = 0
    def init(self, mode, value=0):
        self.v = value
    def __call__(self, v):
        self.v = v

W, H = %(w)d, %(h)d
out = {}
if "%(bus)s" == "i2c":
    bus = I2C()
    oled = ssd1306.SSD1306_I2C(W, H, bus, addr=0x3D)
else:
    dc = Pin()
    bus = SPI(dc)
    oled = ssd1306.SSD1306_SPI(W, H, bus, dc, Pin(), Pin())
out["init"] = len(bus.log)
oled.fill_rect(3, 5, 20, 9, 1)      # framebuf drawing, then the whole frame
oled.text("pip", 90, H - 8, 1)
oled.show()
out["full"] = len(bus.log)
win = oled.window(32, 8, 64, H - 8)  # only this window changes next
oled.fill_rect(32, 8, 64, H - 8, 0)
oled.fill_rect(40, 16, 30, 20, 1)
oled.pixel(95, H - 1, 1)
oled.pixel(10, 60 if H == 64 else 30, 1)  # outside the window: must not reach the display yet
oled.show_window(win)
out["window"] = len(bus.log)
out["log"] = bus.log
out["buffer"] = bytes(oled.buffer).hex()
print(json.dumps(out))
"""


def replay(log: list, upto: int, w: int, h: int, bus: str) -> Emulator:
    emu = Emulator(w, h)
    for tag, payload in log[:upto]:
        if bus == "i2c":
            assert tag == 0x3D
            emu.write(bytes.fromhex(payload))
        else:
            emu.spi_write(tag, bytes.fromhex(payload))
    assert emu.unknown_commands == [] and emu.notes == []
    return emu


def buffer_pixels(buf: bytes, w: int, h: int) -> np.ndarray:
    a = np.frombuffer(buf, np.uint8).reshape(h // 8, w)
    return np.unpackbits(a[:, None, :], axis=1, bitorder="little").reshape(h, w).astype(bool)


@pytest.mark.parametrize("bus", ["i2c", "spi"])
@pytest.mark.parametrize("w, h", [(128, 64), (128, 32)])
def test_the_emulator_shows_the_drivers_frame_buffer(bus, w, h):
    r = run_json(DRIVER % dict(w=w, h=h, bus=bus))
    log = r["log"]
    final = buffer_pixels(bytes.fromhex(r["buffer"]), w, h)
    emu = replay(log, len(log), w, h, bus)
    assert emu.lit
    panel = emu.panel()
    # everything matches except the pixel drawn outside the window, which was never sent
    y_out = 60 if h == 64 else 30
    assert final[y_out, 10] and not panel[y_out, 10]
    final[y_out, 10] = False
    assert np.array_equal(panel, final)
    before = replay(log, r["full"], w, h, bus).panel()
    assert before[5:14, 3:23].all() and before.sum() > 180


def test_a_64x64_window_costs_512_data_bytes_and_one_command_transaction():
    r = run_json(DRIVER % dict(w=128, h=64, bus="i2c"))
    log = r["log"]
    init, full, window = r["init"], r["full"], r["window"]
    assert init == 3  # the init sequence in one command transaction, then a clear frame (two)
    sizes = [len(bytes.fromhex(p)) for _, p in log]
    assert sizes[full - 2:full] == [7, 1 + 1024]  # full frame: window command + 1,024 bytes
    assert window - full == 2
    cmd, data = (bytes.fromhex(p) for _, p in log[full:window])
    assert cmd == bytes([0x00, 0x21, 32, 95, 0x22, 1, 7])  # columns 32-95, pages 1-7 (a 64x56 window)
    assert data[0] == 0x40 and len(data) == 1 + 64 * 7
    emu = replay(log, full, 128, 64, "i2c")
    before = emu.traffic.copy()
    for _, p in log[full:window]:
        emu.write(bytes.fromhex(p))
    assert emu.traffic.data_bytes - before.data_bytes == 448
    assert emu.traffic.command_bytes - before.command_bytes == 6


DIE_WINDOW = r"""
import json, ssd1306
class I2C:
    def __init__(self):
        self.n = 0
    def writeto(self, addr, buf):
        self.n += 1 + len(buf)      # address byte + payload
bus = I2C()
oled = ssd1306.SSD1306_I2C(128, 64, bus)
win = oled.window(32, 0, 64, 64)
bus.n = 0
oled.show_window(win)
die = bus.n
bus.n = 0
oled.show()
print(json.dumps({"die": die, "full": bus.n, "nbytes": win.nbytes}))
"""


def test_bytes_on_the_wire_for_a_die_frame_and_a_full_frame():
    r = run_json(DIE_WINDOW)
    assert r["nbytes"] == 512
    assert r["die"] == (1 + 7) + (1 + 1 + 512)  # 522 bytes: address+commands, address+control+data
    assert r["full"] == (1 + 7) + (1 + 1 + 1024)


BAD_WINDOWS = r"""
import json, ssd1306
class I2C:
    def writeto(self, a, b):
        pass
oled = ssd1306.SSD1306_I2C(128, 64, I2C())
errs = []
for args in ((0, 4, 8, 8), (0, 0, 8, 12), (120, 0, 16, 8), (0, 0, 0, 8)):
    try:
        oled.window(*args)
        errs.append("accepted")
    except ValueError as e:
        errs.append(str(e))
print(json.dumps(errs))
"""


def test_windows_must_be_page_aligned_and_on_the_display():
    errs = run_json(BAD_WINDOWS)
    assert all("outside the 128x64 display or not page aligned" in e for e in errs), errs


ABSENT = r"""
import json, ssd1306
class I2C:
    def writeto(self, a, b):
        raise OSError(19)   # what the unix and esp32 ports raise for a missing device
try:
    ssd1306.SSD1306_I2C(128, 64, I2C())
    r = "no error"
except OSError as e:
    r = e.args[0]
print(json.dumps(r))
"""


def test_a_missing_display_raises_oserror_from_the_constructor():
    assert run_json(ABSENT) == 19
