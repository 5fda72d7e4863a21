"""SSD1306 OLED driver (I2C and SPI) on framebuf, sending only the window that changed.

API compatible with micropython-lib's ssd1306 (same constructor arguments, same
init sequence, show(), poweroff(), contrast(), invert(), rotate()), plus windows:
    win = oled.window(x, y, w, h)   # prepared once: y and h multiples of 8
    oled.show_window(win)           # sends w * h / 8 data bytes, allocates nothing
A window sets the column and page address range (horizontal addressing mode), so
a 64x64 die costs 512 data bytes instead of the 1,024-byte frame. Commands go in
one transaction (control byte 0x00, Co = 0) rather than one per byte.

Every I2C transaction is one buffer given to writeto: the ports' hardware I2C joins the
buffers of a writevto into one it allocates (extmod/machine_i2c.c,
mp_machine_i2c_transfer_adaptor: m_new, about 513 B for a die window), which under
heap_lock is a MemoryError. So a window owns a buffer with the 0x40 control byte in front
of its bytes, filled from the frame buffer by FrameBuffer.blit (C, no allocation); the
whole screen is the frame buffer itself, which sits after its own control byte.
"""

import framebuf

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


SET_CONTRAST = const(0x81)
SET_ENTIRE_ON = const(0xA4)
SET_NORM_INV = const(0xA6)
SET_DISP = const(0xAE)
SET_MEM_ADDR = const(0x20)
SET_COL_ADDR = const(0x21)
SET_PAGE_ADDR = const(0x22)
SET_DISP_START_LINE = const(0x40)
SET_SEG_REMAP = const(0xA0)
SET_MUX_RATIO = const(0xA8)
SET_IREF_SELECT = const(0xAD)
SET_COM_OUT_DIR = const(0xC0)
SET_DISP_OFFSET = const(0xD3)
SET_COM_PIN_CFG = const(0xDA)
SET_DISP_CLK_DIV = const(0xD5)
SET_PRECHARGE = const(0xD9)
SET_VCOM_DESEL = const(0xDB)
SET_CHARGE_PUMP = const(0x8D)

CTRL_CMD = const(0x00)  # Co = 0, D/C# = 0: the rest of the transaction is commands
CTRL_DATA = const(0x40)  # Co = 0, D/C# = 1: the rest is display data

_DATA_PREFIX = b"\x40"


class Window:
    """A prepared address window: its command bytes and its slices of the frame buffer."""

    def __init__(self, disp, x, y, w, h):
        if y & 7 or h & 7 or w < 1 or h < 8 or x < 0 or y < 0 or x + w > disp.width or y + h > disp.height:
            raise ValueError("window %r outside the %dx%d display or not page aligned"
                             % ((x, y, w, h), disp.width, disp.height))
        self.x, self.y, self.w, self.h = x, y, w, h
        p0 = y >> 3
        p1 = (y + h - 1) >> 3
        c0 = x + disp.col_offset
        # control byte, then: column range, page range
        self.cmd = bytes((CTRL_CMD, SET_COL_ADDR, c0, c0 + w - 1, SET_PAGE_ADDR, p0, p1))
        self.spi_cmd = self.cmd[1:]  # SPI signals commands on the D/C# pin instead
        mv = memoryview(disp.buffer)
        W = disp.width
        if w == W:  # full width: the pages are contiguous
            self.parts = [_DATA_PREFIX, mv[p0 * W : (p1 + 1) * W]]
        else:
            self.parts = [_DATA_PREFIX] + [mv[p * W + x : p * W + x + w] for p in range(p0, p1 + 1)]
        self.nbytes = w * (p1 - p0 + 1)
        if w == W and p0 == 0 and p1 == disp.pages - 1:
            self.data = disp.tx  # the whole screen: the frame buffer, after its control byte
            self.fb = None
        else:  # control byte + this window's bytes page by page, copied in by blit (show_window)
            self.data = bytearray(1 + self.nbytes)
            self.data[0] = CTRL_DATA
            self.fb = framebuf.FrameBuffer(memoryview(self.data)[1:], w, h, framebuf.MONO_VLSB)


class SSD1306(framebuf.FrameBuffer):
    def __init__(self, width, height, external_vcc):
        self.width = width
        self.height = height
        self.external_vcc = external_vcc
        self.pages = height // 8
        self.col_offset = (128 - width) // 2 if width < 128 else 0  # narrow panels sit mid-RAM
        self.tx = bytearray(1 + self.pages * width)  # the 0x40 control byte, then the frame buffer
        self.tx[0] = CTRL_DATA
        self.buffer = memoryview(self.tx)[1:]
        super().__init__(self.buffer, width, height, framebuf.MONO_VLSB)
        self.full = Window(self, 0, 0, width, height)
        self.init_display()

    def init_display(self):
        self.write_cmds(bytes((
            CTRL_CMD,
            SET_DISP,  # off
            SET_MEM_ADDR, 0x00,  # horizontal addressing: windows wrap column -> page
            SET_DISP_START_LINE,
            SET_SEG_REMAP | 0x01,  # column 127 -> SEG0
            SET_MUX_RATIO, self.height - 1,
            SET_COM_OUT_DIR | 0x08,  # scan COM[N-1] -> COM0
            SET_DISP_OFFSET, 0x00,
            SET_COM_PIN_CFG, 0x02 if self.width > 2 * self.height else 0x12,
            SET_DISP_CLK_DIV, 0x80,
            SET_PRECHARGE, 0x22 if self.external_vcc else 0xF1,
            SET_VCOM_DESEL, 0x30,  # 0.83 * Vcc
            SET_CONTRAST, 0xFF,
            SET_ENTIRE_ON,  # output follows RAM
            SET_NORM_INV,
            SET_IREF_SELECT, 0x30,  # internal IREF during display on
            SET_CHARGE_PUMP, 0x10 if self.external_vcc else 0x14,
            SET_DISP | 0x01,  # on
        )))
        self.fill(0)
        self.show()

    def write_cmd(self, cmd):
        self.write_cmds(bytes((CTRL_CMD, cmd)))

    def poweroff(self):
        self.write_cmd(SET_DISP)

    def poweron(self):
        self.write_cmd(SET_DISP | 0x01)

    def contrast(self, contrast):
        self.write_cmds(bytes((CTRL_CMD, SET_CONTRAST, contrast)))

    def invert(self, invert):
        self.write_cmd(SET_NORM_INV | (invert & 1))

    def rotate(self, rotate):
        r = rotate & 1
        self.write_cmds(bytes((CTRL_CMD, SET_COM_OUT_DIR | (r << 3), SET_SEG_REMAP | r)))

    def window(self, x, y, w, h):
        return Window(self, x, y, w, h)

    def show(self):
        self.show_window(self.full)

    def show_window(self, win):
        """Send one prepared window: allocates nothing."""
        self.write_window(win)


class SSD1306_I2C(SSD1306):
    def __init__(self, width, height, i2c, addr=0x3C, external_vcc=False):
        self.i2c = i2c
        self.addr = addr
        super().__init__(width, height, external_vcc)

    def write_cmds(self, cmds):
        """cmds: control byte 0x00 followed by command bytes."""
        self.i2c.writeto(self.addr, cmds)

    def write_window(self, win):
        if win.fb is not None:
            win.fb.blit(self, -win.x, -win.y)  # its bytes from the frame buffer, after the 0x40
        self.i2c.writeto(self.addr, win.cmd)
        self.i2c.writeto(self.addr, win.data)  # one buffer: no port joins (and allocates) it


class SSD1306_SPI(SSD1306):
    def __init__(self, width, height, spi, dc, res, cs, external_vcc=False):
        self.rate = 10 * 1024 * 1024
        dc.init(dc.OUT, value=0)
        res.init(res.OUT, value=0)
        cs.init(cs.OUT, value=1)
        self.spi = spi
        self.dc = dc
        self.res = res
        self.cs = cs
        import time

        self.res(1)
        time.sleep_ms(1)
        self.res(0)
        time.sleep_ms(10)
        self.res(1)
        super().__init__(width, height, external_vcc)

    def _spi(self, dc, data):
        self.spi.init(baudrate=self.rate, polarity=0, phase=0)
        self.cs(1)
        self.dc(dc)
        self.cs(0)
        self.spi.write(data)
        self.cs(1)

    def write_cmds(self, cmds):
        self._spi(0, cmds[1:])  # no control byte on SPI: the D/C# pin says "command"

    def write_window(self, win):
        self._spi(0, win.spi_cmd)
        self.spi.init(baudrate=self.rate, polarity=0, phase=0)
        self.cs(1)
        self.dc(1)
        self.cs(0)
        parts = win.parts
        for i in range(1, len(parts)):
            self.spi.write(parts[i])
        self.cs(1)
