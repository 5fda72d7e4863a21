"""An SSD1306 OLED controller emulator, following the Solomon Systech datasheet (rev 1.5).

Feed it exactly what a driver puts on the wire:

    oled = SSD1306(128, 64)
    oled.write(payload)          # one I2C write transaction, the bytes after the address byte
    oled.spi_write(dc, payload)  # 4-wire SPI: the D/C# pin level and the bytes clocked in

and read what the glass shows with `panel()` (a (height, width) bool array, True = lit).

What is modelled, and where the datasheet says so:
- I2C control bytes (8.1.5.1): Co=0 means every following byte of the transaction has the type
  given by D/C#; Co=1 means one byte follows and then another control byte.
- The command decoder keeps a half-received multi-byte command across transactions (drivers
  that send one command byte per transaction rely on it).
- Addressing (10.1.3-10.1.5, 10.1.13): page, horizontal and vertical modes; column (21h) and
  page (22h) windows, which also move the pointer; page-mode start addresses (00h-1Fh, B0h-B7h).
- Segment remap (A0h/A1h) applies when data is written ("only affects subsequent data input"),
  COM scan direction (C0h/C8h) immediately; multiplex ratio (A8h), display offset (D3h),
  display start line (40h-7Fh), COM pins configuration (DAh: sequential/alternative, left/right
  remap) decide which RAM row each COM line shows.
- Panel wiring: a 128x64 module is wired so that the configuration every common driver sends
  (A1h, C8h, DAh 12h) shows column address 0 at the left and RAM row 0 at the top; a 128x32
  module the same with DAh 02h and a multiplex ratio of 32. Other settings show what the real
  glass would: mirrored, flipped, interleaved or shifted images.
- Contrast (81h), normal/inverse (A6h/A7h), entire display on (A4h/A5h), display on/off
  (AEh/AFh), charge pump (8Dh): with the display off, or the charge pump off on a module
  without an external VCC, the panel is dark. At power-on the charge pump is off.
- Timing and driving commands (D5h, D9h, DBh, ADh, E3h NOP) are stored; scrolling commands
  (26h/27h/29h/2Ah/A3h/2Eh/2Fh) and the advanced graphics commands (23h, D6h) are decoded with
  their parameter counts; an activated scroll is recorded in `notes` but not animated.

Unknown command bytes are ignored, as the chip ignores them, and recorded in
`unknown_commands`; anything odd but legal (a reserved bit set, a parameter out of range, a
page-mode command outside page mode) goes to `notes`. Tests fail on either.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

WIDTH = 128  # SEG0..SEG127
COMS = 64  # COM0..COM63
PAGES = 8  # GDDRAM pages of 8 rows

MODE_HORIZONTAL = 0
MODE_VERTICAL = 1
MODE_PAGE = 2

# Parameter bytes that follow each multi-byte command opcode.
_ARITY = {
    0x20: 1,  # memory addressing mode
    0x21: 2,  # column address window
    0x22: 2,  # page address window
    0x23: 1,  # fade out / blinking (advanced graphics)
    0x26: 6, 0x27: 6,  # continuous horizontal scroll setup
    0x29: 5, 0x2A: 5,  # continuous vertical and horizontal scroll setup
    0x81: 1,  # contrast
    0x8D: 1,  # charge pump setting
    0xA3: 2,  # vertical scroll area
    0xA8: 1,  # multiplex ratio
    0xAD: 1,  # internal IREF selection (SSD1306B; adafruit_ssd1306 sends it)
    0xD3: 1,  # display offset
    0xD5: 1,  # display clock divide ratio / oscillator frequency
    0xD6: 1,  # zoom in (advanced graphics)
    0xD9: 1,  # pre-charge period
    0xDA: 1,  # COM pins hardware configuration
    0xDB: 1,  # VCOMH deselect level
}
_SINGLE = (
    set(range(0x00, 0x20))  # page-mode column start, low/high nibble
    | set(range(0x40, 0x80))  # display start line
    | set(range(0xB0, 0xB8))  # page-mode page start
    | {0x2E, 0x2F, 0xA0, 0xA1, 0xA4, 0xA5, 0xA6, 0xA7, 0xAE, 0xAF, 0xC0, 0xC8, 0xE3}
)


@dataclass
class Traffic:
    """Bytes that reached the controller (what the bus had to carry)."""

    i2c_transactions: int = 0
    i2c_bytes: int = 0  # everything on the wire after START: address + control + payload bytes
    control_bytes: int = 0  # I2C control bytes (Co, D/C#)
    spi_bytes: int = 0
    command_bytes: int = 0  # opcodes and their parameters
    data_bytes: int = 0  # GDDRAM bytes

    def copy(self) -> Traffic:
        return Traffic(**self.__dict__)


@dataclass
class _Registers:
    display_on: bool = False
    charge_pump: bool = False
    contrast: int = 0x7F
    entire_on: bool = False
    inverse: bool = False
    mode: int = MODE_PAGE
    col_start: int = 0
    col_end: int = WIDTH - 1
    page_start: int = 0
    page_end: int = PAGES - 1
    page_mode_col: int = 0  # column start register of page addressing mode
    col: int = 0  # the RAM address pointer (column address, before segment remap)
    page: int = 0
    start_line: int = 0
    seg_remap: bool = False
    mux: int = COMS  # multiplex ratio N (the command sends N - 1)
    com_reverse: bool = False  # C8h: scan from COM[N-1] to COM0
    offset: int = 0
    com_alternative: bool = True  # DAh reset value 12h
    com_lr_remap: bool = False
    clock_div: int = 0x80
    precharge: int = 0x22
    vcomh: int = 0x20
    iref: int = 0x00
    scroll_active: bool = False
    fade: int = 0x00
    zoom: bool = False
    extra: dict = field(default_factory=dict)  # scroll setups, kept for inspection


class SSD1306:
    """One SSD1306 controller driving a 128x64 or 128x32 OLED module."""

    def __init__(self, width: int = 128, height: int = 64, *, external_vcc: bool = False,
                 ram: str = "zeros", seed: int = 0) -> None:
        if width != WIDTH or height not in (32, 64):
            raise ValueError(f"unsupported panel {width}x{height}: 128x64 and 128x32 are modelled")
        if ram not in ("zeros", "random"):
            raise ValueError("ram must be 'zeros' or 'random' (the power-on content is undefined)")
        self.width = width
        self.height = height
        self.external_vcc = external_vcc
        # GDDRAM indexed by segment (after remap), as the chip stores it: (8 pages, 128 segs) uint8
        if ram == "random":
            self.ram = np.random.default_rng(seed).integers(0, 256, (PAGES, WIDTH), dtype=np.uint8)
        else:
            self.ram = np.zeros((PAGES, WIDTH), dtype=np.uint8)
        self.reg = _Registers()
        self.traffic = Traffic()
        self.unknown_commands: list[int] = []
        self.notes: list[str] = []
        self._op: int | None = None  # multi-byte command waiting for parameters
        self._params: list[int] = []
        # Physical row y of the glass is wired to COM pad _wiring[y] (see module docstring).
        std = _Registers(mux=height, com_reverse=True, com_alternative=(height == 64))
        pads = [_pad(p, std) for p in (height - 1 - y for y in range(height))]
        self._wiring = np.array(pads, dtype=np.int64)  # (height,)

    # ------------------------------------------------------------------ interfaces
    def write(self, payload: bytes | bytearray | memoryview) -> None:
        """One I2C write transaction addressed to this chip: control byte(s), then bytes."""
        payload = bytes(payload)
        t = self.traffic
        t.i2c_transactions += 1
        t.i2c_bytes += 1 + len(payload)
        i, n = 0, len(payload)
        while i < n:
            ctrl = payload[i]
            i += 1
            t.control_bytes += 1
            if ctrl & 0x3F:
                self.notes.append(f"control byte {ctrl:#04x} has reserved bits set")
            is_data = bool(ctrl & 0x40)
            if ctrl & 0x80:  # Co=1: a single byte, then another control byte
                if i < n:
                    self._byte(is_data, payload[i])
                    i += 1
            else:  # Co=0: the rest of the transaction is all data or all commands
                self._bytes(is_data, payload[i:])
                break

    def read(self, nbytes: int) -> bytes:
        """An I2C read: the status byte (D6 = 1 while the display is off), repeated."""
        self.traffic.i2c_transactions += 1
        self.traffic.i2c_bytes += 1 + nbytes
        status = 0x00 if self.reg.display_on else 0x40
        return bytes([status]) * nbytes

    def spi_write(self, dc: int, payload: bytes | bytearray | memoryview) -> None:
        """4-wire SPI with chip select active: D/C# low = commands, high = GDDRAM data."""
        payload = bytes(payload)
        self.traffic.spi_bytes += len(payload)
        self._bytes(bool(dc), payload)

    def command(self, *cmds: int) -> None:
        """Convenience for tests: send commands as one I2C transaction (control byte 00h)."""
        self.write(bytes([0x00, *cmds]))

    def data(self, payload: bytes | bytearray) -> None:
        """Convenience for tests: send GDDRAM data as one I2C transaction (control byte 40h)."""
        self.write(b"\x40" + bytes(payload))

    def reset(self) -> None:
        """RES# pulse: registers to their reset values; the RAM keeps its content (8.5)."""
        self.reg = _Registers()
        self._op, self._params = None, []

    # ------------------------------------------------------------------ decoding
    def _bytes(self, is_data: bool, chunk: bytes) -> None:
        if is_data:
            if self._op is not None:
                self.notes.append(f"data while command {self._op:#04x} waits for parameters")
            for b in chunk:
                self._data(b)
            self.traffic.data_bytes += len(chunk)
        else:
            for b in chunk:
                self._command(b)

    def _byte(self, is_data: bool, b: int) -> None:
        self._bytes(is_data, bytes([b]))

    def _data(self, b: int) -> None:
        r = self.reg
        seg = WIDTH - 1 - r.col if r.seg_remap else r.col
        self.ram[r.page, seg] = b
        if r.mode == MODE_HORIZONTAL:
            r.col, r.page = _step(r.col, r.col_start, r.col_end, r.page, r.page_start, r.page_end)
        elif r.mode == MODE_VERTICAL:
            r.page, r.col = _step(r.page, r.page_start, r.page_end, r.col, r.col_start, r.col_end)
        else:  # page mode: the column wraps, the page stays (10.1.3)
            r.col = r.page_mode_col if r.col >= WIDTH - 1 else r.col + 1

    def _command(self, b: int) -> None:
        self.traffic.command_bytes += 1
        if self._op is not None:
            self._params.append(b)
            if len(self._params) == _ARITY[self._op]:
                op, params = self._op, self._params
                self._op, self._params = None, []
                self._execute(op, params)
            return
        if b in _ARITY:
            self._op, self._params = b, []
        elif b in _SINGLE:
            self._execute(b, [])
        else:
            self.unknown_commands.append(b)

    def _execute(self, op: int, p: list[int]) -> None:  # noqa: C901 - one branch per command
        r = self.reg
        if op < 0x10:
            r.page_mode_col = (r.page_mode_col & 0xF0) | op
            self._page_mode_pointer("column low nibble")
            r.col = r.page_mode_col
        elif op < 0x20:
            r.page_mode_col = ((op & 0x0F) << 4 | (r.page_mode_col & 0x0F)) & 0x7F
            if op & 0x08:
                self.notes.append(f"column high nibble {op:#04x} beyond column 127")
            self._page_mode_pointer("column high nibble")
            r.col = r.page_mode_col
        elif 0xB0 <= op <= 0xB7:
            self._page_mode_pointer("page start")
            r.page = op & 0x07
        elif 0x40 <= op <= 0x7F:
            r.start_line = op & 0x3F
        elif op == 0x20:
            if p[0] & 0x03 == 0x03:
                self.notes.append("addressing mode 3 is invalid; mode unchanged")
            else:
                r.mode = p[0] & 0x03
        elif op == 0x21:
            r.col_start, r.col_end = p[0] & 0x7F, p[1] & 0x7F
            r.col = r.col_start
            if r.mode == MODE_PAGE:
                self.notes.append("column window (21h) sent in page addressing mode")
        elif op == 0x22:
            r.page_start, r.page_end = p[0] & 0x07, p[1] & 0x07
            r.page = r.page_start
            if r.mode == MODE_PAGE:
                self.notes.append("page window (22h) sent in page addressing mode")
        elif op == 0x81:
            r.contrast = p[0]
        elif op == 0x8D:
            r.charge_pump = bool(p[0] & 0x04)
        elif op in (0xA0, 0xA1):
            r.seg_remap = op == 0xA1
        elif op in (0xA4, 0xA5):
            r.entire_on = op == 0xA5
        elif op in (0xA6, 0xA7):
            r.inverse = op == 0xA7
        elif op in (0xAE, 0xAF):
            r.display_on = op == 0xAF
        elif op == 0xA8:
            if p[0] & 0x3F < 15:
                self.notes.append(f"multiplex ratio {p[0] & 0x3F} + 1 is invalid (16..64)")
            else:
                r.mux = (p[0] & 0x3F) + 1
        elif op in (0xC0, 0xC8):
            r.com_reverse = op == 0xC8
        elif op == 0xD3:
            r.offset = p[0] & 0x3F
        elif op == 0xDA:
            if p[0] & 0xCF != 0x02:
                self.notes.append(f"COM pins configuration {p[0]:#04x}: reserved bits differ from 02h")
            r.com_alternative = bool(p[0] & 0x10)
            r.com_lr_remap = bool(p[0] & 0x20)
        elif op == 0xD5:
            r.clock_div = p[0]
        elif op == 0xD9:
            r.precharge = p[0]
        elif op == 0xDB:
            r.vcomh = p[0]
        elif op == 0xAD:
            r.iref = p[0]
        elif op == 0x23:
            r.fade = p[0]
        elif op == 0xD6:
            r.zoom = bool(p[0] & 0x01)
        elif op in (0x26, 0x27, 0x29, 0x2A, 0xA3):
            r.extra[op] = list(p)
        elif op == 0x2E:
            r.scroll_active = False
        elif op == 0x2F:
            r.scroll_active = True
            self.notes.append("scrolling activated: not animated by the emulator")
        # E3h: NOP

    def _page_mode_pointer(self, what: str) -> None:
        if self.reg.mode != MODE_PAGE:
            self.notes.append(f"page-mode command ({what}) sent outside page addressing mode")

    # ------------------------------------------------------------------ output
    @property
    def lit(self) -> bool:
        """True when the glass can light up: display on and panel voltage present."""
        return self.reg.display_on and (self.reg.charge_pump or self.external_vcc)

    def ram_rows(self) -> np.ndarray:
        """GDDRAM as (64 rows, 128 segments) bool, bit D0 of page p is row 8p."""
        bits = np.unpackbits(self.ram[:, None, :], axis=1, bitorder="little")  # (8, 8, 128)
        return bits.reshape(COMS, WIDTH).astype(bool)

    def com_rows(self) -> np.ndarray:
        """For each COM pad 0..63 the RAM row it shows, or -1 when it is not scanned."""
        return _com_rows(self.reg)

    def panel(self) -> np.ndarray:
        """What the glass shows: (height, width) bool, True = lit, [0, 0] top left."""
        out = np.zeros((self.height, self.width), dtype=bool)
        if not self.lit:
            return out
        rows = self.com_rows()[self._wiring]  # (height,) RAM row per physical row
        shown = rows >= 0
        if self.reg.entire_on:
            out[shown] = True
            return out
        ram = self.ram_rows()
        img = ram[rows[shown]] ^ self.reg.inverse  # (k, 128) by segment
        out[shown] = img[:, ::-1]  # physical x is wired to SEG(127 - x)
        return out

    def brightness(self) -> float:
        """Relative luminance of a lit pixel, 0..1, from the contrast setting (8.8: ISEG ~ contrast)."""
        return (self.reg.contrast + 1) / 256.0


def _pad(p: int, r: _Registers) -> int:
    """COM pad that carries scan line p, by the COM pins configuration (DAh)."""
    pad = (p // 2 if p % 2 == 0 else COMS // 2 + p // 2) if r.com_alternative else p
    return pad ^ (COMS // 2) if r.com_lr_remap else pad


def _com_rows(r: _Registers) -> np.ndarray:
    rows = np.full(COMS, -1, dtype=np.int64)
    for c in range(COMS):  # COM index in normal scan order
        k = (c + r.offset) % COMS  # display row on this COM: D3h moves COM[offset] up to COM0
        if k >= r.mux:
            continue  # beyond the multiplex ratio: not scanned, dark
        p = (r.mux - 1 - c) % COMS if r.com_reverse else c
        rows[_pad(p, r)] = (r.start_line + k) % COMS
    return rows


def _step(first: int, start: int, end: int, then: int, then_start: int, then_end: int) -> tuple[int, int]:
    """The address pointer after a data byte in horizontal or vertical addressing mode:
    the address stepped `first` (the column, or the page) wraps from end to start and steps
    `then`, which wraps the same way. Returns the new (first, then)."""
    if first < end:
        return first + 1, then
    return start, then_start if then >= then_end else then + 1
