# rp2hw: the RP2040's DMA controller and I2C blocks on the simulated Pico, as the app sees them
# through machine.mem32 and rp2.DMA (our rp2.py), on simboard's clock, devices and record stream.
#
# MicroPython code. Register offsets and bits are the RP2040 datasheet's (2.5 DMA, 4.3 I2C, 2.1.4
# narrow IO writes); only what a DMA-driven I2C write needs is modelled, and every other access
# raises ValueError("... not simulated") rather than pretend. An RP2350 board has the same blocks
# (DW_apb_i2c, the same DMA channel registers) at other addresses and DREQ numbers: the board
# profile's i2c_blocks and dreq_i2c_tx (its board module's I2C_BLOCKS, DREQ_I2C_TX); its CTRL
# word is rp2.DMA.pack_ctrl's, whose field positions our rp2.py keeps to the RP2040's.
#
# I2C0 / I2C1 (DW_apb_i2c at 0x40044000 / 0x40048000 on the RP2040). machine.I2C(id) sets its
# block up as the rp2 port does (pico-sdk i2c_init: fast-mode master, TX_EMPTY_CTRL, IC_DMA_CR =
# TDMAE | RDMAE, SCL counts for the frequency at the board's clk_sys, enabled); every blocking
# machine.I2C transfer leaves IC_TAR at its address, as i2c_write_blocking does (disable, IC_TAR,
# enable). IC_TAR takes a write only while the block is disabled (IC_ENABLE bit 0 = 0).
#
# A transfer by DMA: a channel whose write address is a block's IC_DATA_CMD (fixed), paced by the
# block's TX DREQ (RP2040: DREQ_I2C0_TX = 32, DREQ_I2C1_TX = 34), with the block enabled and TDMAE set,
# feeds it commands: bits 0-7 the byte, bit 8 CMD (a read: not simulated), bit 9 STOP, bit 10
# RESTART. A narrow DMA write reaches the register replicated across the 32-bit bus (2.1.4): a
# byte b arrives as b * 0x01010101, so its bits 0-2 land in CMD, STOP and RESTART (the reason
# to send halfwords). The block makes transactions to IC_TAR: START before the first command
# and after every STOP; a transaction ends with a STOP, or before a RESTART. Each takes
# (1 + n) * 9 SCL clocks at machine.I2C's frequency (the address byte and n data bytes, 9 clocks
# a byte: the same as a blocking machine.I2C transfer here), one after the other, and is recorded
# at its end as the blocking path records it ("i2c", or "nack" for an absent address). A NACKed
# address aborts: TX_ABRT in IC_RAW_INTR_STAT, ABRT_7B_ADDR_NOACK in IC_TX_ABRT_SOURCE, and the
# rest of the commands are flushed (the channel finishes at once) until IC_CLR_TX_ABRT is read.
#
# Timing of the flags, from the FIFO (16 entries) and IC_DMA_TDLR (L; pico-sdk leaves 0): a
# command leaves the TX FIFO when its byte starts on the bus; the DMA keeps L + 1 commands in it,
# so the channel's BUSY (CTRL bit 24) clears when L + 1 commands are left to send, IC_STATUS TFE
# (bit 2) when none is waiting, ACTIVITY (bit 0) and MST_ACTIVITY (bit 5) when the last
# transaction's STOP is done; STOP_DET (IC_RAW_INTR_STAT bit 9) latches at each transaction's end.
#
# What the hardware would garble rather than refuse ends the simulated board with end kind
# "fault" and what went wrong (the host reports it): the block disabled or used by a blocking
# machine.I2C transfer while a DMA transfer is still on its bus (pico-sdk disables it, and the
# DW_apb_i2c drops the rest), a DMA source changed while the channel reads it, a transfer from
# an address that is not a buffer given to rp2.DMA.

import simboard as _sb
import uctypes

RP2 = _sb.board.get("i2c_pins") == "rp2"  # the simulated board is a Pico (the rp2 port)
CLK_SYS = _sb.board["freq"]
I2C_BASE = tuple(_sb.board.get("i2c_blocks") or ())
DMA_BASE = 0x50000000
N_CHANNELS = 12
DREQ_I2C_TX = tuple(_sb.board.get("dreq_i2c_tx") or ())
TREQ_PERMANENT = 0x3F
FIFO_DEPTH = 16

# IC_* register offsets (datasheet 4.3.17)
IC_CON = 0x00
IC_TAR = 0x04
IC_DATA_CMD = 0x10
IC_SS_SCL_HCNT = 0x14
IC_SS_SCL_LCNT = 0x18
IC_FS_SCL_HCNT = 0x1C
IC_FS_SCL_LCNT = 0x20
IC_INTR_MASK = 0x30
IC_RAW_INTR_STAT = 0x34
IC_RX_TL = 0x38
IC_TX_TL = 0x3C
IC_CLR_INTR = 0x40
IC_CLR_TX_ABRT = 0x54
IC_CLR_ACTIVITY = 0x5C
IC_CLR_STOP_DET = 0x60
IC_CLR_START_DET = 0x64
IC_ENABLE = 0x6C
IC_STATUS = 0x70
IC_TXFLR = 0x74
IC_RXFLR = 0x78
IC_SDA_HOLD = 0x7C
IC_TX_ABRT_SOURCE = 0x80
IC_DMA_CR = 0x88
IC_DMA_TDLR = 0x8C
IC_ENABLE_STATUS = 0x9C
IC_FS_SPKLEN = 0xA0
IC_COMP_TYPE = 0xFC

R_TX_EMPTY = 1 << 4
R_TX_ABRT = 1 << 6
R_STOP_DET = 1 << 9
R_START_DET = 1 << 10
ABRT_7B_ADDR_NOACK = 1
CMD_READ = 1 << 8
CMD_STOP = 1 << 9
CMD_RESTART = 1 << 10

# DMA CTRL bits (datasheet 2.5.7, CH0_CTRL_TRIG)
EN = 1
DATA_SIZE_SHIFT = 2
INCR_READ = 1 << 4
INCR_WRITE = 1 << 5
TREQ_SHIFT = 15
BUSY = 1 << 24
CTRL_WRITABLE = 0xFFFFFF
ERR_WC = (1 << 29) | (1 << 30)  # WRITE_ERROR, READ_ERROR: write 1 to clear
# per-channel register offsets: (register, trigger?) for the 16 words of a channel's block
_CH_REGS = (("read", 0), ("write", 0), ("count", 0), ("ctrl", 1),
            ("ctrl", 0), ("read", 0), ("write", 0), ("count", 1),
            ("ctrl", 0), ("count", 0), ("read", 0), ("write", 1),
            ("ctrl", 0), ("write", 0), ("count", 0), ("read", 1))
DMA_CHAN_ABORT = 0x444
DMA_N_CHANNELS = 0x448


def _not_simulated(what):
    raise ValueError("%s: not simulated (rp2hw models the DMA channels and the I2C blocks' writes)" % what)


def _fault(what):
    """Something the RP2040 would garble: stop the simulated board and say what."""
    n = _sb.heap_unlock_all()
    try:
        _sb.end("fault", what)
    finally:
        _sb.heap_relock(n)


# ------------------------------------------------------------------ memory the DMA can read
_bufs = []  # [base address, buffer, bytes] of every buffer given to rp2.DMA as a read or write address
_SRAM = 0x20000000


def address_of(buf):
    """A stable SRAM address standing for buf (a buffer given to rp2.DMA as read= or write=)."""
    for b in _bufs:
        if b[1] is buf:
            return b[0]
    base = _SRAM + (len(_bufs) + 1) * 0x10000  # 64 KB apart: room for any buffer the app has
    _bufs.append([base, buf, len(bytes(buf))])
    return base


def _view(addr, nbytes):
    """The bytes [addr, addr + nbytes) of a buffer given to rp2.DMA, as a view (no copy), or None."""
    for base, buf, size in _bufs:
        if base <= addr and addr + nbytes <= base + size:
            return uctypes.bytearray_at(uctypes.addressof(buf) + addr - base, nbytes)
    return None


# ------------------------------------------------------------------ I2C blocks
class I2CBlock:
    def __init__(self, i):
        self.i = i
        self.base = I2C_BASE[i]
        self.scl = None  # pins and frequency: from machine.I2C(i)
        self.sda = None
        self.freq = 0
        self.con = 0x7F  # reset values (datasheet)
        self.tar = 0x55
        self.enable = 0
        self.dma_cr = 0
        self.tdlr = 0
        self.raw = 0
        self.abrt = 0
        self.regs = {IC_SS_SCL_HCNT: 0x28, IC_SS_SCL_LCNT: 0x2F, IC_FS_SCL_HCNT: 0x06, IC_FS_SCL_LCNT: 0x0D,
                     IC_FS_SPKLEN: 0x07, IC_SDA_HOLD: 0x01, IC_TX_TL: 0, IC_RX_TL: 0, IC_INTR_MASK: 0x8FF}
        self.run = None  # the DMA transfer on this block's bus (a _Run), if any
        self.stalled = []  # channels triggered while the block could not take their commands

    def setup(self, scl, sda, freq):
        """What machine.I2C(i, freq=...) leaves in the block (pico-sdk i2c_init, i2c_set_baudrate)."""
        self._check_idle("machine.I2C(%d) made again" % self.i)
        self.scl, self.sda, self.freq = scl, sda, freq
        self.con = 0x165  # FAST (2 << 1) | MASTER | RESTART_EN | SLAVE_DISABLE | TX_EMPTY_CTRL
        self.dma_cr = 3  # TDMAE | RDMAE: "always enable the DREQ signalling"
        period = (CLK_SYS + freq // 2) // freq
        lcnt = period * 3 // 5
        self.regs[IC_FS_SCL_HCNT] = period - lcnt
        self.regs[IC_FS_SCL_LCNT] = lcnt
        self.regs[IC_FS_SPKLEN] = 1 if lcnt < 16 else lcnt // 16
        self.regs[IC_SDA_HOLD] = CLK_SYS * 3 // 10000000 + 1
        self.raw = 0
        self.abrt = 0
        self.enable = 1
        self._start_stalled()

    def blocking(self, addr):
        """A blocking machine.I2C transfer to addr: pico-sdk disables the block, sets IC_TAR, enables it.

        Returns True when an abort was left uncleared: pico-sdk's i2c_write_blocking_internal reads
        IC_TX_ABRT_SOURCE after its first byte, takes a stale abort for its own (reading
        IC_CLR_TX_ABRT) and fails; the port (machine_i2c.c) raises EIO."""
        self._check_idle("a blocking machine.I2C transfer")
        self.tar = addr
        if self.abrt or self.raw & R_TX_ABRT:
            self.raw &= ~R_TX_ABRT
            self.abrt = 0
            return True
        return False

    def _check_idle(self, what):
        r = self.run
        if r is not None and _sb.now_us() < r.t_end:
            _fault("I2C%d: %s while a DMA transfer is on its bus (%d of %d bytes to go): the "
                   "DW_apb_i2c would drop the rest" % (self.i, what, r.bytes_left(), r.n_bytes))

    def ready(self):
        return self.enable & 1 and self.dma_cr & 2

    def _start_stalled(self):
        """Start a channel that waits for this block (its DREQ), once the block can take it."""
        while self.ready() and self.stalled and self.idle():
            self.stalled.pop(0).start_i2c(self)

    def idle(self):
        return self.run is None or _sb.now_us() >= self.run.t_end

    def read(self, off):
        now = _sb.now_us()
        r = self.run
        if r is not None and now >= r.t_end:
            r = None
        if off == IC_CON:
            return self.con
        if off == IC_TAR:
            return self.tar
        if off == IC_RAW_INTR_STAT:
            return self.raw | (0 if r is not None else R_TX_EMPTY)
        if off == IC_CLR_INTR:
            self.raw = 0
            self.abrt = 0
            return 0
        if off == IC_CLR_TX_ABRT:
            self.raw &= ~R_TX_ABRT
            self.abrt = 0
            self._start_stalled()
            return 0
        if off == IC_CLR_STOP_DET:
            self.raw &= ~R_STOP_DET
            return 0
        if off == IC_CLR_START_DET:
            self.raw &= ~R_START_DET
            return 0
        if off == IC_CLR_ACTIVITY:
            return 0
        if off == IC_ENABLE:
            return self.enable
        if off == IC_ENABLE_STATUS:
            return self.enable & 1
        if off == IC_STATUS:  # ACTIVITY 0, TFNF 1, TFE 2, MST_ACTIVITY 5
            if r is None:
                return 0x06
            return 0x23 | (4 if r.fifo_level(now) == 0 else 0)
        if off == IC_TXFLR:
            return 0 if r is None else r.fifo_level(now)
        if off == IC_RXFLR:
            return 0
        if off == IC_TX_ABRT_SOURCE:
            return self.abrt
        if off == IC_DMA_CR:
            return self.dma_cr
        if off == IC_DMA_TDLR:
            return self.tdlr
        if off == IC_COMP_TYPE:
            return 0x44570140
        if off in self.regs:
            return self.regs[off]
        _not_simulated("reading I2C%d register 0x%02x" % (self.i, off))

    def write(self, off, v):
        if off == IC_ENABLE:
            if not v & 1:
                self._check_idle("IC_ENABLE = 0")
            if v & 2:
                _not_simulated("I2C%d IC_ENABLE.ABORT" % self.i)
            self.enable = v & 5
            self._start_stalled()
        elif off == IC_TAR:
            if not self.enable & 1:  # ignored while enabled (no dynamic IC_TAR update)
                self.tar = v & 0x3FF
        elif off == IC_CON:
            if not self.enable & 1:
                self.con = v
        elif off == IC_DMA_CR:
            self.dma_cr = v & 3
            self._start_stalled()
        elif off == IC_DMA_TDLR:
            self.tdlr = v & 0xF
        elif off == IC_DATA_CMD:
            _not_simulated("CPU writes to I2C%d IC_DATA_CMD (machine.I2C sends bytes by the CPU)" % self.i)
        elif off in self.regs:
            self.regs[off] = v
        else:
            _not_simulated("writing I2C%d register 0x%02x" % (self.i, off))


class _Run:
    """The transactions one DMA channel puts on an I2C block's bus, recorded each at its end.

    Lives in simboard's timer list (_due, _expire) while a transaction is still to be recorded."""

    def __init__(self, block, ch, flushed):
        self.block = block
        self.ch = ch
        self.n_words = ch.n
        self.tdlr = block.tdlr
        self.flushed = flushed  # dropped by an uncleared TX_ABRT: nothing reaches the bus
        dev_scl, dev_sda = block.scl, block.sda
        t = _sb.now_us()
        self.t0 = t
        self.txns = []  # [start, end, first word, data bytes, device or None (NACK)]
        if not block.freq:
            _not_simulated("I2C%d used before machine.I2C(%d) set it up" % (block.i, block.i))
        cur = None
        for k in range(ch.n):
            w = ch.word(k)
            if w & CMD_READ:
                _not_simulated("I2C reads by DMA (IC_DATA_CMD bit 8)")
            if cur is not None and w & CMD_RESTART:
                cur = None
            if cur is None:
                cur = [0, 0, k, bytearray(), None]
                self.txns.append(cur)
            cur[3].append(w & 0xFF)
            if w & CMD_STOP:
                cur = None
        if cur is not None:
            _not_simulated("a DMA transfer whose last command has no STOP (the master holds the bus)")
        self.n_bytes = 0
        if flushed:
            self.txns = []
        for x in self.txns:
            d = _sb.i2c_device(dev_scl, dev_sda, block.tar)
            x[4] = d
            n = 1 + (len(x[3]) if d is not None else 0)  # a NACKed address ends the transfer
            x[0] = t
            t += n * 9 * 1000000 // block.freq
            x[1] = t
            self.n_bytes += n
            if d is None:
                del self.txns[self.txns.index(x) + 1:]
                break
        self.t_end = t
        self.next = 0
        self._due = self.txns[0][1] if self.txns else t

    def _sent(self, now):
        """Commands whose byte has started on the bus by now (they left the TX FIFO)."""
        if self.flushed:
            return self.n_words
        sent = 0
        for s, e, k, data, d in self.txns:
            if now < s:
                break
            if d is None:  # the NACK flushes every command
                return self.n_words if now >= e else k
            n = 1 + len(data)
            begun = (now - s) * n // (e - s) if now < e else n  # bytes begun, address first
            sent = k + max(0, min(len(data), begun))
            if now < e:
                break
        return sent

    def fifo_level(self, now):
        left = self.n_words - self._sent(now)
        return min(left, self.tdlr + 1)

    def dma_left(self, now):
        """Commands the channel has not yet written into the FIFO."""
        left = self.n_words - self._sent(now)
        return max(0, left - (self.tdlr + 1))

    def bytes_left(self):
        now = _sb.now_us()
        left = 0
        for s, e, _k, data, d in self.txns:
            n = 1 + (len(data) if d is not None else 0)
            left += n if now < s else (n - (now - s) * n // (e - s) if now < e else 0)
        return left

    def _expire(self):
        s, e, k, data, d = self.txns[self.next]
        block = self.block
        self.ch.check_source(k, data)
        addr = block.tar
        block.raw |= R_START_DET
        if d is None:
            _sb.emit("nack", "%s/%s" % (block.scl, block.sda), str(addr))
            block.raw |= R_TX_ABRT | R_STOP_DET
            block.abrt = ABRT_7B_ADDR_NOACK | ((self.n_words - k) << 23)
        else:
            if d["kind"] == "ram":
                d["model"].write(data)
            _sb.emit("i2c", d["name"], str(addr), data)
            block.raw |= R_STOP_DET
        _sb.bus_activity()
        self.next += 1
        if self.next < len(self.txns):
            self._due = self.txns[self.next][1]
        else:
            _sb.timers.remove(self)
            block._start_stalled()  # a channel triggered meanwhile: its commands follow
        return False


# ------------------------------------------------------------------ DMA channels
class Channel:
    def __init__(self, i):
        self.i = i
        self.read = 0
        self.write = 0
        self.count = 0  # TRANS_COUNT as written (the reload value)
        self.ctrl = i << 11  # CHAIN_TO = itself: no chaining
        self.run = None  # its transfer into an I2C block
        self.block = None
        self.src = None  # a view of the bytes it reads (uctypes.bytearray_at)
        self.raw = b""
        self.size = 4  # bytes a transfer
        self.n = 0  # transfers of the run it was last triggered for

    def busy(self):
        """CTRL.BUSY: triggered and not every transfer done (simboard's events due are fired first)."""
        if self.block is None:
            return False
        r = self.run
        if r is None:  # stalled: waiting for its DREQ
            return True
        if r.dma_left(_sb.now_us()) == 0:
            self.block = None
            return False
        return True

    def reg(self, name):
        if name == "read":
            return self.read
        if name == "write":
            return self.write
        if name == "count":
            if not self.busy():
                return 0 if self.src is not None else self.count
            return self.count if self.run is None else self.run.dma_left(_sb.now_us())
        return (self.ctrl & ~BUSY) | (BUSY if self.busy() else 0)

    def set_reg(self, name, v, trigger):
        if name == "read":
            self.read = v
        elif name == "write":
            self.write = v
        elif name == "count":
            self.count = v
        else:
            self.ctrl = (self.ctrl & ~CTRL_WRITABLE & ~(v & ERR_WC)) | (v & CTRL_WRITABLE)
        if trigger and v:
            self.trigger()

    def trigger(self):
        if self.busy() or not self.ctrl & EN or not self.count:
            return  # a running channel ignores a trigger; a disabled one does not start
        size = 1 << ((self.ctrl >> DATA_SIZE_SHIFT) & 3)
        treq = (self.ctrl >> TREQ_SHIFT) & 0x3F
        block = None
        for b in blocks:
            if self.write == b.base + IC_DATA_CMD:
                block = b
        if block is None:
            _not_simulated("a DMA transfer to 0x%08x (only to an I2C block's IC_DATA_CMD)" % self.write)
        if self.ctrl & INCR_WRITE or not self.ctrl & INCR_READ:
            _not_simulated("DMA channel %d: to IC_DATA_CMD the write address stays and the read one"
                           " increments" % self.i)
        if treq != DREQ_I2C_TX[block.i]:
            _not_simulated("DMA channel %d into I2C%d paced by TREQ %d (the block's TX DREQ is %d)"
                           % (self.i, block.i, treq, DREQ_I2C_TX[block.i]))
        nbytes = self.count * size
        n = _sb.heap_unlock_all()
        try:
            src = _view(self.read, nbytes)
            if src is None:
                _fault("DMA channel %d reads %d bytes at 0x%08x: not a buffer given to rp2.DMA" % (
                    self.i, nbytes, self.read))
            self.src = src
            self.raw = bytes(src)  # what the channel reads, as it was when triggered
            self.size = size
            self.n = self.count
            self.block = block
            self.run = None
            if block.ready() and block.idle():
                self.start_i2c(block)
            else:  # no DREQ yet: block disabled, TDMAE clear, or its bus still busy
                block.stalled.append(self)
        finally:
            _sb.heap_relock(n)

    def word(self, k):
        """The IC_DATA_CMD bits (0-10) transfer k writes, read now from its source."""
        src = self.src
        if self.size == 1:
            return (src[k] * 0x0101) & 0x7FF  # a byte write is replicated across the bus (2.1.4)
        k *= self.size
        return (src[k] | (src[k + 1] << 8)) & 0x7FF

    def start_i2c(self, block):
        # after a NACK the TX FIFO stays flushed until IC_CLR_TX_ABRT is read: all dropped
        r = _Run(block, self, block.abrt != 0)
        self.run = r
        block.run = r
        if r.txns:
            _sb.timers.append(r)

    def check_source(self, k, data):
        """The transfers a transaction was made of still hold what they held at the trigger (the DMA
        read them meanwhile: a change is a race on the chip)."""
        a, b = k * self.size, (k + len(data)) * self.size
        if bytes(self.src[a:b]) != self.raw[a:b]:
            _fault("DMA channel %d: its source buffer changed while the channel was reading it" % self.i)

    def abort(self):
        if self.busy():
            r = self.run
            if r is not None:
                # CHAN_ABORT stops the channel's writes; a NACKed (or flushed) transfer's commands are
                # all flushed by the block anyway, so the bus sees the same; any other cut would leave
                # the master holding the bus mid-transaction
                if not (r.flushed or any(x[4] is None for x in r.txns)):
                    _not_simulated("aborting DMA channel %d while it feeds I2C%d" % (self.i, self.block.i))
                self.block = None
                return
            self.block.stalled.remove(self)
            self.block = None


blocks = [I2CBlock(i) for i in range(len(I2C_BASE))]  # none on a board without rp2 I2C blocks
channels = [Channel(i) for i in range(N_CHANNELS)]
claimed = [False] * N_CHANNELS


# ------------------------------------------------------------------ machine.I2C's side
def i2c_init(i, scl, sda, freq):
    if RP2:
        blocks[i].setup(scl, sda, freq)


def i2c_blocking(i, addr):
    """True when the transfer fails on a stale abort (I2CBlock.blocking)."""
    return RP2 and blocks[i].blocking(addr)


# ------------------------------------------------------------------ machine.mem32
def _peek(addr):
    addr &= 0xFFFFFFFF
    for b in blocks:
        if b.base <= addr < b.base + 0x100:
            return b.read(addr - b.base)
    off = addr - DMA_BASE
    if 0 <= off < N_CHANNELS * 0x40:
        return channels[off >> 6].reg(_CH_REGS[(off & 0x3F) >> 2][0])
    if off == DMA_N_CHANNELS:
        return N_CHANNELS
    _not_simulated("machine.mem32[0x%08x]" % addr)


def _poke(addr, v):
    addr &= 0xFFFFFFFF
    v &= 0xFFFFFFFF
    alias = (addr >> 12) & 3  # 2.1.2 atomic register access: +0x1000 XOR, +0x2000 SET, +0x3000 CLR
    reg = addr & ~0x3000
    if alias:
        old = _peek(reg)
        v = (old ^ v, old | v, old & ~v)[alias - 1]
    for b in blocks:
        if b.base <= reg < b.base + 0x100:
            b.write(reg - b.base, v)
            return
    off = reg - DMA_BASE
    if 0 <= off < N_CHANNELS * 0x40:
        name, trig = _CH_REGS[(off & 0x3F) >> 2]
        channels[off >> 6].set_reg(name, v, trig)
        return
    if off == DMA_CHAN_ABORT:
        for ch in channels:
            if v & (1 << ch.i):
                ch.abort()
        return
    _not_simulated("machine.mem32[0x%08x] = 0x%x" % (addr, v))


class Mem:
    """machine.mem8/16/32: register access by address. Each access costs the board a clock quantum."""

    def __init__(self, bits):
        self.bits = bits

    def _check(self, addr):
        if not RP2:
            _not_simulated("machine.mem%d on %s" % (self.bits, _sb.board["name"]))
        if self.bits != 32:
            _not_simulated("machine.mem%d (only 32-bit register access is)" % self.bits)
        if addr & 3:
            raise ValueError("address %08x is not aligned to 4 bytes" % (addr & 0xFFFFFFFF))
        _sb.compute(_QUANTUM)

    def __getitem__(self, addr):
        """extmod/machine_mem.c, machine_mem_subscr: mp_obj_new_int of the uint32_t read, which on
        a 32-bit port is a *signed* int (bit 31 set: negative)."""
        self._check(addr)
        v = _peek(addr)
        return v - 0x100000000 if v & 0x80000000 else v

    def __setitem__(self, addr, v):
        self._check(addr)
        _poke(addr, v)


_QUANTUM = int(_sb.world.get("quantum_us", 1))
mem8 = Mem(8)
mem16 = Mem(16)
mem32 = Mem(32)
