# rp2: a stand-in for the rp2 port's `rp2` module on the simulated Pico: its DMA class.
#
# Same names, arguments, defaults and errors as MicroPython's ports/rp2/rp2_dma.c (v1.22+):
# DMA() claims a free channel (OSError EBUSY when all 12 are taken); read/write/count/ctrl
# are the channel's READ_ADDR, WRITE_ADDR, TRANS_COUNT and CTRL registers (read= and write=
# take an int address or a buffer, whose address is used); config(read=, write=, count=,
# ctrl=, trigger=) writes those given in that order, the last one through its trigger alias;
# active() is CTRL.BUSY (active(1) starts, active(0) aborts); pack_ctrl()'s default is the
# port's (enabled, word transfers, both addresses incremented, unpaced, IRQ quiet, chained to
# itself). The channels and what they move are rp2hw's (RP2040 datasheet 2.5). Not simulated:
# DMA.irq(), DMA.registers, DMATimer, and PIO (they raise).

import rp2hw as _hw

if not _hw.RP2:
    raise ImportError("no module named 'rp2'")

_FIELDS = (  # name, shift, bits, read-only (rp2_dma.c's table, RP2040)
    ("enable", 0, 1, 0), ("high_pri", 1, 1, 0), ("size", 2, 2, 0), ("inc_read", 4, 1, 0),
    ("inc_write", 5, 1, 0), ("ring_size", 6, 4, 0), ("ring_sel", 10, 1, 0), ("chain_to", 11, 4, 0),
    ("treq_sel", 15, 6, 0), ("irq_quiet", 21, 1, 0), ("bswap", 22, 1, 0), ("sniff_en", 23, 1, 0),
    ("busy", 24, 1, 1), ("write_err", 29, 1, 0), ("read_err", 30, 1, 0), ("ahb_err", 31, 1, 1),
)
_DEFAULT = (1 << 21) | (0x3F << 15) | (1 << 5) | (1 << 4) | (2 << 2) | 1
_CLOSED = 0xFF
_EBUSY = 16


def _addr(v):
    """An address argument: an int, or a buffer (its address). Allocates nothing the app sees."""
    if isinstance(v, int):
        return v & 0xFFFFFFFF
    n = _hw._sb.heap_unlock_all()
    try:
        memoryview(v)  # TypeError for an object without the buffer protocol, as the port
        return _hw.address_of(v)
    finally:
        _hw._sb.heap_relock(n)


def _register(name, convert):
    """A channel register as a DMA property (a plain write: no trigger)."""

    def get(self):
        return self._chan().reg(name)

    def put(self, v):
        self._chan().set_reg(name, convert(v), False)

    return property(get, put)


def _config(ch, name, convert, v, left, trigger):
    """config()'s write of one register if given (v not None); the registers still to write."""
    if v is None:
        return left
    left -= 1
    ch.set_reg(name, convert(v), trigger and not left)
    return left


class DMA:
    def __init__(self):
        for i in range(_hw.N_CHANNELS):
            if not _hw.claimed[i]:
                _hw.claimed[i] = True
                self._ch = i
                return
        raise OSError(_EBUSY)

    def _chan(self):
        if self._ch == _CLOSED:
            raise ValueError("channel closed")
        return _hw.channels[self._ch]

    @property
    def channel(self):
        return self._ch

    # READ_ADDR, WRITE_ADDR, TRANS_COUNT, CTRL: read and written alike, each converted its way
    read = _register("read", _addr)
    write = _register("write", _addr)
    count = _register("count", int)
    ctrl = _register("ctrl", int)

    def config(self, *, read=None, write=None, count=None, ctrl=None, trigger=False):
        ch = self._chan()
        _hw._sb.compute(_hw._QUANTUM)
        left = (read is not None) + (write is not None) + (count is not None) + (ctrl is not None)
        if trigger and not left:
            ch.trigger()
            return
        # in this order, the last given through its trigger alias
        left = _config(ch, "read", _addr, read, left, trigger)
        left = _config(ch, "write", _addr, write, left, trigger)
        left = _config(ch, "count", int, count, left, trigger)
        _config(ch, "ctrl", int, ctrl, left, trigger)

    def active(self, value=None):
        ch = self._chan()
        _hw._sb.compute(_hw._QUANTUM)  # a register read: polling it takes board time
        if value is not None:
            if value:
                ch.trigger()
            else:
                ch.abort()
        return ch.busy()

    def close(self):
        if self._ch != _CLOSED:
            ch = _hw.channels[self._ch]
            ch.abort()
            _hw.claimed[self._ch] = False
            self._ch = _CLOSED

    __del__ = close

    def pack_ctrl(self, *, default=None, **kw):
        v = (_DEFAULT | ((self._ch & 0xF) << 11)) if default is None else int(default)
        for name, shift, bits, ro in _FIELDS:
            if name in kw:
                f = int(kw.pop(name))
                if ro:
                    continue
                mask = (1 << bits) - 1
                if f & mask != f:
                    raise ValueError("bad field value")
                v = (v & ~(mask << shift)) | (f << shift)
        if kw:
            raise TypeError()
        return v & 0xFFFFFFFF

    @staticmethod
    def unpack_ctrl(value):
        return {name: (value >> shift) & ((1 << bits) - 1) for name, shift, bits, ro in _FIELDS}

    def irq(self, *args, **kw):
        raise ValueError("rp2.DMA.irq: not simulated")

    def __repr__(self):
        return "DMA(%u)" % self._ch


def bootsel_button():
    return 0  # BOOTSEL is not pressed on the simulated board
