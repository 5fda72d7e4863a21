"""The display's windows sent by DMA on a Pico: frame n goes out while frame n+1 is computed.

    board = pdi2c_dma.Board(globals())   # a board module's build() (boards/board_pico.py, DISPLAY_DMA)

The rp2 port's machine.I2C sends from the CPU, byte by byte: the 522 bus bytes of a 64x64 die
window at 400 kHz hold the CPU about 12 ms, while both cores are busy computing for the rest of
the frame (docs/rp2040.md). Here a DMA channel (rp2.DMA, MicroPython 1.22+) feeds I2C0's TX FIFO
instead, paced by the block's DREQ (DREQ_I2C0_TX):
- show_window(win) waits until the previous window is on the glass, packs this one's two
  transactions (its commands, then its data: the bytes ssd1306's write_window sends with
  writeto and writevto) into a preallocated array('H') of IC_DATA_CMD words (the byte, and STOP,
  bit 9, on each transaction's last), sets IC_TAR if the address changed, starts the channel
  and returns;
- every other use of the bus (commands, reads, a scan) first waits, then is machine.I2C's;
- a NACKed address (display unplugged) is seen at the next use of the bus and raised as
  OSError(EIO), as machine.I2C raises it; a transfer that never ends as OSError(ETIMEDOUT).
After construction nothing here allocates: the pipnet natmod's i2c_words (else a viper loop) packs
the words into the array the channel reads, and every register address is computed once (on the
port they are not small ints).
Without rp2.DMA (MicroPython before 1.22, another port), on a software I2C bus, or with no free
channel, the board is pdboard_micropython's with a blocking display, and the console line says why.
Registers: RP2040 datasheet 4.3.17 (I2C) and 2.5 (DMA); where the blocks are and their DREQ
numbers come from the board module (I2C_BLOCKS, DREQ_I2C_TX: the RP2350 has them elsewhere).
"""

import time
from array import array

import micropython
from micropython import const

import pdboard_micropython  # the one app module importing machine: mem32 is its machine's
import ssd1306

_IC_TAR = const(0x04)
_IC_DATA_CMD = const(0x10)
_IC_RAW_INTR_STAT = const(0x34)
_IC_CLR_TX_ABRT = const(0x54)
_IC_CLR_STOP_DET = const(0x60)
_IC_ENABLE = const(0x6C)
_IC_STATUS = const(0x70)
_IC_DMA_CR = const(0x88)
_TDMAE = const(2)  # IC_DMA_CR: the TX FIFO raises its DREQ
_STOP = const(0x200)  # IC_DATA_CMD bit 9: STOP after this byte
_TX_ABRT = const(0x40)  # IC_RAW_INTR_STAT bit 6
_ACTIVITY = const(1)  # IC_STATUS bit 0
_EIO = const(5)
_ETIMEDOUT = const(110)
_POLL_US = const(20)  # how often a wait looks at the last bytes' progress
_DATA_SIZE_16 = const(1)  # halfwords: a byte written to IC_DATA_CMD reaches CMD/STOP/RESTART too


@micropython.viper
def _pack(words, at: int, src, n: int) -> int:
    """words[at + i] = src[i] for i < n (bytes into halfwords); returns at + n."""
    w = ptr16(words)
    s = ptr8(src)
    i = 0
    while i < n:
        w[at + i] = s[i]
        i += 1
    return at + n


def _words_viper(words, at, parts):
    """pipnet.i2c_words in viper: the bytes of `parts` (a buffer or a list of them) from words[at],
    STOP on the last; returns the index after it. About 0.5 us a byte on a Pico, the natmod's ten
    times less (bench/results/rp2040_firmware.json)."""
    if isinstance(parts, list):
        i = 0
        while i < len(parts):
            at = _pack(words, at, parts[i], len(parts[i]))
            i += 1
    else:
        at = _pack(words, at, parts, len(parts))
    words[at - 1] |= _STOP
    return at


def _nbytes(cmd, parts):
    n = len(cmd)
    if isinstance(parts, list):
        i = 0
        while i < len(parts):
            n += len(parts[i])
            i += 1
    else:
        n += len(parts)
    return n


try:
    from pipnet import i2c_words as _words
except Exception:  # noqa: BLE001 - no natmod (ImportError), another architecture's (ValueError), an old one
    _words = _words_viper


class DmaI2C:
    """machine.I2C `bus` (registers at `base`) whose windows go out by DMA channel `channel` (an
    rp2.DMA), paced by the block's TX DREQ `dreq`."""

    def __init__(self, bus, base, dreq, capacity, channel, mem32, freq):
        self.bus = bus
        self.mem = mem32
        self.ch = channel
        self.tar = base + _IC_TAR
        self.data_cmd = base + _IC_DATA_CMD
        self.raw = base + _IC_RAW_INTR_STAT
        self.clr_abrt = base + _IC_CLR_TX_ABRT
        self.clr_stop = base + _IC_CLR_STOP_DET
        self.enable = base + _IC_ENABLE
        self.status = base + _IC_STATUS
        self.words = array("H", (0 for _ in range(capacity)))  # the commands the channel reads
        self.capacity = capacity
        self.ctrl = channel.pack_ctrl(size=_DATA_SIZE_16, inc_write=False, treq_sel=dreq)
        self.pending = False  # a transfer was started and not yet seen to end
        self.tar_addr = -1  # the address IC_TAR holds since our last write of it (-1: unknown)
        # twice the bus time of a full buffer (9 clocks a byte, an address byte per transaction)
        self.limit_us = 2 * (capacity + 4) * 9 * 1000000 // freq
        self.drain_us = self.limit_us  # after an abort: how long the block's last transaction may take
        self.byte_us = 9 * 1000000 // freq  # a byte on the bus, rounded down
        mem32[base + _IC_DMA_CR] |= _TDMAE  # pico-sdk's i2c_init sets it too

    def wait(self):
        """Until the last transfer is over: OSError(EIO) if its address was not acknowledged."""
        if not self.pending:
            return
        mem = self.mem
        ch = self.ch
        t0 = time.ticks_us()
        while ch.active() or mem[self.status] & _ACTIVITY:
            if time.ticks_diff(time.ticks_us(), t0) > self.limit_us:
                self.pending = False
                ch.active(0)
                self._clear_after_abort()
                raise OSError(_ETIMEDOUT)
            time.sleep_us(ch.count * self.byte_us + _POLL_US)  # the bytes still to go, then look again
        self.pending = False
        mem[self.clr_stop]  # reading it clears STOP_DET: machine.I2C (pico-sdk) waits for a fresh one
        if mem[self.raw] & _TX_ABRT:
            mem[self.clr_abrt]  # reading it clears TX_ABRT and IC_TX_ABRT_SOURCE
            raise OSError(_EIO)

    def _clear_after_abort(self):
        """After an aborted channel: let the block's last transaction end (bounded), then clear
        STOP_DET and TX_ABRT. pico-sdk's next blocking write reads IC_TX_ABRT_SOURCE and reports
        any abort it finds there as its own: a stale one would be a spurious EIO."""
        mem = self.mem
        t0 = time.ticks_us()
        while mem[self.status] & _ACTIVITY and time.ticks_diff(time.ticks_us(), t0) <= self.drain_us:
            time.sleep_us(_POLL_US)
        mem[self.clr_stop]
        mem[self.clr_abrt]

    def show(self, addr, cmd, parts):
        """Send transaction `cmd` then the concatenation of `parts` to addr; return once started."""
        self.wait()
        words = self.words
        n = -1
        if _words is not _words_viper:  # the natmod checks that the words hold them
            try:
                n = _words(words, _words(words, 0, cmd), parts)
            except ValueError:
                pass
        elif _nbytes(cmd, parts) <= self.capacity:
            n = _words(words, _words(words, 0, cmd), parts)
        if n < 0:  # not a window of this display: send it from the CPU
            self.tar_addr = -1
            self.bus.writeto(addr, cmd)
            self.bus.writevto(addr, parts)
            return
        mem = self.mem
        if self.tar_addr != addr:  # IC_TAR takes a write only while the block is disabled
            mem[self.enable] = 0
            mem[self.tar] = addr
            mem[self.enable] = 1
            self.tar_addr = addr
        self.ch.config(read=words, write=self.data_cmd, count=n, ctrl=self.ctrl, trigger=True)
        self.pending = True

    # machine.I2C's interface, once the bus is free
    def _free_bus(self):
        """The bus for a CPU transfer, once the DMA is done (pico-sdk then sets IC_TAR itself)."""
        self.wait()
        self.tar_addr = -1
        return self.bus

    def writeto(self, addr, buf, stop=True):
        return self._free_bus().writeto(addr, buf, stop)

    def writevto(self, addr, vector, stop=True):
        return self._free_bus().writevto(addr, vector, stop)

    def readfrom_into(self, addr, buf, stop=True):
        return self._free_bus().readfrom_into(addr, buf, stop)

    def readfrom(self, addr, nbytes, stop=True):
        return self._free_bus().readfrom(addr, nbytes, stop)

    def scan(self):
        return self._free_bus().scan()


class SSD1306_I2C(ssd1306.SSD1306_I2C):
    """ssd1306's I2C driver, its windows sent by DMA: show_window returns once the channel runs."""

    def write_window(self, win):
        self.i2c.show(self.addr, win.cmd, win.parts)


def dma_bus(bus, cfg, capacity):
    """(DmaI2C over bus, None), or (bus, why the display stays blocking)."""
    if bus is None:
        return bus, "no I2C bus"
    i2c_id = cfg.get("I2C_ID")
    if i2c_id is None:
        return bus, "software I2C"
    if "I2C_BLOCKS" not in cfg:
        return bus, "the board module names no I2C_BLOCKS"
    try:
        import rp2

        dma = rp2.DMA
    except (ImportError, AttributeError):
        return bus, "no rp2.DMA (MicroPython before 1.22)"
    try:
        channel = dma()
    except OSError:
        return bus, "no free DMA channel"
    mem32 = pdboard_micropython.machine.mem32
    return DmaI2C(bus, cfg["I2C_BLOCKS"][i2c_id], cfg["DREQ_I2C_TX"][i2c_id], capacity, channel, mem32,
                  cfg.get("I2C_FREQ", 400000)), None


class Board(pdboard_micropython.Board):
    """pdboard_micropython's board whose SSD1306 windows go out by DMA (when the port allows: dma_why)."""

    def __init__(self, cfg):
        super().__init__(cfg)
        self.dma_why = "SPI display"
        if cfg.get("SPI_ID") is None:
            self.bus, self.dma_why = dma_bus(self.bus, cfg, 8 + self.width * self.height // 8)

    def open_display(self):
        if self.dma_why is not None:
            d = pdboard_micropython.Board.open_display(self)
            d.transport = ", windows by the CPU: " + self.dma_why
            return d
        try:
            self.bus.wait()
        except OSError:  # the previous display's last window was not acknowledged: a new start
            pass
        err = None
        for addr in self.addrs:
            try:
                d = SSD1306_I2C(self.width, self.height, self.bus, addr)
            except OSError as e:  # as pdboard_micropython: EIO for an address nobody acknowledges
                err = e
                continue
            d.transport = ", windows by DMA (channel %d)" % self.bus.ch.channel
            return d
        raise err
