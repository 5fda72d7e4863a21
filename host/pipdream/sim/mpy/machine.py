# machine: a faithful stand-in for a board's `machine` module on the MicroPython unix port.
#
# Same names, arguments, constants and errors as the rp2 port (the default board), with the
# hardware replaced by simboard: pins read the scripted world, I2C/SPI transactions go to the
# attached devices and to the record stream, timers run on the simulated clock, hard IRQ
# handlers run under micropython.heap_lock() and soft ones through micropython.schedule().
# Not modelled: ADC, PWM, UART, RTC, level-triggered pin IRQs (they raise ValueError).
# mem8/mem16/mem32 and the rp2 module's DMA reach the Pico's DMA and I2C blocks (rp2hw).

import simboard as _sb
import rp2hw as _hw

if _hw.RP2:
    import rp2  # noqa: F401 - built into the rp2 firmware: loaded with machine, as the board emulator loads only these

mem8 = _hw.mem8
mem16 = _hw.mem16
mem32 = _hw.mem32

PWRON_RESET = 1
HARD_RESET = 2
WDT_RESET = 3
DEEPSLEEP_RESET = 4
SOFT_RESET = 5

_freq = _sb.board["freq"]


def freq(hz=None):
    global _freq
    if hz is None:
        return _freq
    _freq = int(hz)


def unique_id():
    from binascii import unhexlify

    return unhexlify(_sb.board["unique_id"])


def reset_cause():
    return _sb.world.get("reset_cause", PWRON_RESET)


def reset():
    _sb.end("reset", "machine.reset()")


def soft_reset():
    _sb.end("reset", "machine.soft_reset()")


def bootloader(*args):
    _sb.end("reset", "machine.bootloader()")


def deepsleep(ms=None):
    _sb.end("reset", "machine.deepsleep(%s)" % ms)


def lightsleep(ms=None):
    """Sleep until ms pass or a pin IRQ or timer wakes the board."""
    if ms is None:
        _sb.advance(max(0, _sb._next_due() - _sb.now_us()), True)
    else:
        _sb.advance(int(ms) * 1000, True)


def idle():
    """Wait for the next interrupt; the 1 ms system tick is one."""
    _sb.advance(1000, True)


def disable_irq():
    return 0


def enable_irq(state=0):
    pass


# ------------------------------------------------------------------ Pin
_UNSET = object()  # "argument not given" (None is a value: irq(None) disables the IRQ)


class _IRQ:
    def __init__(self, pin):
        self.pin = pin
        self.handler = None
        self.trigger = 0
        self.hard = False
        self._flags = 0

    def flags(self):
        return self._flags

    def __call__(self):
        if self.handler is not None:
            self.handler(self.pin)


class Pin:
    IN = _sb.IN
    OUT = _sb.OUT
    OPEN_DRAIN = _sb.OPEN_DRAIN
    ALT = _sb.ALT
    PULL_UP = _sb.PULL_UP
    PULL_DOWN = _sb.PULL_DOWN
    IRQ_LOW_LEVEL = 1
    IRQ_HIGH_LEVEL = 2
    IRQ_FALLING = 4
    IRQ_RISING = 8

    def __init__(self, id, mode=-1, pull=-1, *, value=None, alt=-1, drive=None):
        self._st = _sb.pin_state(id)
        self.init(mode, pull, value=value)

    def init(self, mode=-1, pull=-1, *, value=None, alt=-1, drive=None):
        st = self._st
        if value is not None:
            st.out = 1 if value else 0
        if mode != -1:
            if mode not in (0, 1, 2, 3):
                raise ValueError("invalid pin mode")
            st.mode = mode
        if pull != -1:
            if pull not in (None, 0, 1, 2):
                raise ValueError("invalid pull value")
            st.pull = pull or 0
        st.update()
        _sb.service()

    def value(self, x=None):
        st = self._st
        if x is None:
            if not _sb._in_irq and not _sb._depth:
                _sb.service()
            return st.level
        st.out = 1 if x else 0
        if (st.mode == 1 or st.mode == 2) and st._resolve() != st.level:  # OUT, OPEN_DRAIN
            n = _sb.heap_unlock_all()  # a change may reach a device or the record stream
            try:
                st.update()
                if st.watched:
                    _sb.emit("pin", str(st.id), str(st.level))
            finally:
                _sb.heap_relock(n)
        return None

    __call__ = value

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)

    high = on
    low = off

    def toggle(self):
        self.value(1 - self._st.out)

    def irq(self, handler=_UNSET, trigger=_UNSET, *args, **kw):
        """Configure the edge IRQ when any argument is given (handler=None disables it);
        return the IRQ object either way, like the port.

        The arguments are the port's: rp2 (ports/rp2/machine_pin.c, machine_pin_irq) takes
        handler, trigger, hard (hard handlers run in the interrupt, soft ones through
        mp_sched_schedule: shared/runtime/mpirq.c, mp_irq_handler); esp32 (ports/esp32/
        machine_pin.c, machine_pin_irq) takes handler, trigger, wake and its ISR
        (machine_pin_isr_handler) always calls mp_sched_schedule: no hard IRQ, and hard= is a
        TypeError from mp_arg_parse_all."""
        names = ("wake",) if _sb.board.get("port") == "esp32" else ("hard",)
        if len(args) > 1:
            raise TypeError("function takes %d positional arguments but %d were given" % (3, 3 + len(args)))
        for k in kw:
            if k not in names:
                raise TypeError("extra keyword arguments given")
        hard = kw.get("hard", args[0] if args and names == ("hard",) else _UNSET)
        st = self._st
        if st.irq is None:
            st.irq = _IRQ(self)
        irq = st.irq
        if handler is not _UNSET or trigger is not _UNSET or args or kw:
            trigger = self.IRQ_FALLING | self.IRQ_RISING if trigger is _UNSET else trigger
            if trigger & (self.IRQ_LOW_LEVEL | self.IRQ_HIGH_LEVEL):
                raise ValueError("level-triggered pin IRQs are not simulated")
            irq.pin = self
            irq.handler = None if handler is _UNSET else handler
            irq.trigger = trigger
            irq.hard = False if hard is _UNSET else bool(hard)
        return irq

    def __repr__(self):
        return "Pin(%s, mode=%s)" % (self._st.id, ("IN", "OUT", "OPEN_DRAIN", "ALT")[self._st.mode])


class Signal:
    def __init__(self, pin, *args, invert=False, **kw):
        self._pin = pin if isinstance(pin, Pin) else Pin(pin, *args, **kw)
        self._inv = 1 if invert else 0

    def value(self, x=None):
        if x is None:
            return self._pin.value() ^ self._inv
        self._pin.value((1 if x else 0) ^ self._inv)

    __call__ = value

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)


# ------------------------------------------------------------------ I2C
def _pin_arg(p):
    return _sb.pin_id(p._st.id if isinstance(p, Pin) else p)


class _I2CBase:
    _errno = 19  # ENODEV

    def _xfer(self, addr, nbytes):
        """Bus time for START, address and nbytes: 9 clocks per byte."""
        _sb.advance((1 + nbytes) * 9 * 1000000 // self._freq)

    def _dev(self, addr):
        if not 0 <= addr <= 0x7F:
            raise ValueError("address out of range")
        d = _sb.i2c_device(self._scl, self._sda, addr)
        if d is None:
            self._xfer(addr, 0)
            _sb.emit("nack", "%s/%s" % (self._scl, self._sda), str(addr))
            raise OSError(self._errno)
        return d

    def scan(self):
        n = _sb.heap_unlock_all()
        try:
            return self._scan()
        finally:
            _sb.heap_relock(n)

    def _scan(self):
        found = []
        for addr in range(0x08, 0x78):
            d = _sb.i2c_device(self._scl, self._sda, addr)
            self._xfer(addr, 0)
            if d is not None:
                found.append(addr)
                self._write(d, addr, b"")
        return found

    def _write(self, d, addr, data):
        self._xfer(addr, len(data))
        if d["kind"] == "ram":
            d["model"].write(data)
        _sb.emit("i2c", d["name"], str(addr), data)
        _sb.bus_activity()
        return len(data)

    def writeto(self, addr, buf, stop=True):
        n = _sb.heap_unlock_all()  # the port's C code allocates nothing: neither may we appear to
        try:
            return self._write(self._dev(addr), addr, buf)
        finally:
            _sb.heap_relock(n)

    _joins = False  # SoftI2C: extmod/machine_i2c.c, mp_machine_soft_i2c_transfer walks the buffers

    def writevto(self, addr, vector, stop=True):
        if self._joins:  # extmod/machine_i2c.c, mp_machine_i2c_transfer_adaptor: 2+ buffers joined
            total = 0
            parts = 0
            for v in vector:  # machine_i2c_writevto skips the empty ones
                if len(v):
                    total += len(v)
                    parts += 1
            if parts > 1:
                bytearray(total)  # its m_new: MemoryError under heap_lock, GC churn otherwise
        n = _sb.heap_unlock_all()
        try:
            d = self._dev(addr)
            return self._write(d, addr, b"".join(bytes(v) for v in vector))
        finally:
            _sb.heap_relock(n)

    def readfrom_into(self, addr, buf, stop=True):
        n = _sb.heap_unlock_all()
        try:
            self._readfrom_into(addr, buf)
        finally:
            _sb.heap_relock(n)

    def _readfrom_into(self, addr, buf):
        d = self._dev(addr)
        n = len(buf)
        self._xfer(addr, n)
        if d["kind"] == "ram":
            buf[:] = d["model"].read(n)
        else:
            for i in range(n):
                buf[i] = 0
        _sb.emit("i2cr", d["name"], str(addr), str(n))
        _sb.bus_activity()

    def readfrom(self, addr, nbytes, stop=True):
        buf = bytearray(nbytes)
        self.readfrom_into(addr, buf, stop)
        return bytes(buf)

    def writeto_mem(self, addr, memaddr, buf, *, addrsize=8):
        return self.writeto(addr, memaddr.to_bytes(addrsize // 8, "big") + bytes(buf))

    def readfrom_mem_into(self, addr, memaddr, buf, *, addrsize=8):
        self.writeto(addr, memaddr.to_bytes(addrsize // 8, "big"), False)
        self.readfrom_into(addr, buf)

    def readfrom_mem(self, addr, memaddr, nbytes, *, addrsize=8):
        buf = bytearray(nbytes)
        self.readfrom_mem_into(addr, memaddr, buf, addrsize=addrsize)
        return bytes(buf)

    def deinit(self):
        pass


class I2C(_I2CBase):
    # the hardware I2C of rp2 (ports/rp2/machine_i2c.c) and esp32 (ports/esp32/machine_i2c.c, since
    # 1.25's i2c_master driver) sends one buffer (transfer_single) through the adaptor
    _joins = True

    def __init__(self, id=0, *, scl=None, sda=None, freq=400000, timeout=50000):
        ids = _sb.board["i2c_ids"]
        if id not in ids:
            raise ValueError("I2C(%d) doesn't exist" % id)
        dscl, dsda = _sb.board["i2c_default"][str(id)]
        self.id = id
        self._scl = _pin_arg(scl) if scl is not None else dscl
        self._sda = _pin_arg(sda) if sda is not None else dsda
        if _sb.board.get("i2c_pins") == "rp2":
            if not (self._scl & 1 == 1 and (self._scl >> 1) & 1 == id):
                raise ValueError("bad SCL pin")
            if not (self._sda & 1 == 0 and (self._sda >> 1) & 1 == id):
                raise ValueError("bad SDA pin")
        self._freq = int(freq)
        self._errno = _sb.board["i2c_errno"]
        self.timeout = timeout
        _hw.i2c_init(id, self._scl, self._sda, self._freq)  # the block's registers (rp2hw)

    def init(self, *, freq=None, **kw):
        if freq is not None:
            self._freq = int(freq)
            _hw.i2c_init(self.id, self._scl, self._sda, self._freq)

    def _xfer(self, addr, nbytes):
        if _hw.i2c_blocking(self.id, addr):  # the port's transfer re-targets the block: not mid-DMA
            super()._xfer(addr, 1)
            raise OSError(5)  # EIO: pico-sdk found an abort nobody cleared (rp2hw.I2CBlock.blocking)
        super()._xfer(addr, nbytes)

    def __repr__(self):
        return "I2C(%d, freq=%d, scl=%s, sda=%s)" % (self.id, self._freq, self._scl, self._sda)


class SoftI2C(_I2CBase):
    def __init__(self, scl, sda, *, freq=400000, timeout=50000):
        self._scl = _pin_arg(scl)
        self._sda = _pin_arg(sda)
        self._freq = int(freq)
        self.timeout = timeout

    def init(self, scl=None, sda=None, *, freq=None, timeout=None):
        if freq is not None:
            self._freq = int(freq)


# ------------------------------------------------------------------ SPI
class SPI:
    MSB = 0
    LSB = 1
    CONTROLLER = 0

    def __init__(self, id=0, baudrate=1000000, *, polarity=0, phase=0, bits=8, firstbit=0,
                 sck=None, mosi=None, miso=None):
        d = _sb.board.get("spi_default", {}).get(str(id))
        if d is None:
            raise ValueError("SPI(%d) doesn't exist" % id)
        self.id = id
        self._sck = _pin_arg(sck) if sck is not None else d[0]
        self.init(baudrate, polarity=polarity, phase=phase, bits=bits, firstbit=firstbit)

    def init(self, baudrate=None, *, polarity=0, phase=0, bits=8, firstbit=0, **kw):
        if baudrate is not None:
            self._baud = int(baudrate)
        self.polarity = polarity
        self.phase = phase

    def deinit(self):
        pass

    def write(self, buf):
        locked = _sb.heap_unlock_all()
        try:
            self._write(buf)
        finally:
            _sb.heap_relock(locked)

    def _write(self, buf):
        n = len(buf)
        _sb.advance(n * 8 * 1000000 // self._baud)
        for d in _sb.spi_devices(self._sck):
            if not d["present"]:
                continue
            cs = d.get("cs")
            if cs is not None and _sb.pin_state(cs).level != 0:
                continue
            res = d.get("res")
            if res is not None and _sb.pin_state(res).level == 0:
                continue  # held in reset
            dc = _sb.pin_state(d["dc"]).level
            _sb.emit("spi", d["name"], str(dc), buf)
            _sb.bus_activity()
        return None

    def read(self, nbytes, write=0):
        self.write(bytes([write]) * nbytes)
        return bytes(nbytes)

    def readinto(self, buf, write=0):
        self.write(bytes([write]) * len(buf))
        for i in range(len(buf)):
            buf[i] = 0

    def write_readinto(self, wbuf, rbuf):
        self.write(wbuf)
        for i in range(len(rbuf)):
            rbuf[i] = 0


class SoftSPI(SPI):
    def __init__(self, baudrate=500000, *, polarity=0, phase=0, bits=8, firstbit=0,
                 sck=None, mosi=None, miso=None):
        if sck is None or mosi is None:
            raise ValueError("SoftSPI needs sck and mosi pins")
        self.id = -1
        self._sck = _pin_arg(sck)
        self.init(baudrate, polarity=polarity, phase=phase)


# ------------------------------------------------------------------ Timer, WDT
class Timer:
    ONE_SHOT = 0
    PERIODIC = 1

    def __init__(self, id=-1, **kw):
        if id not in _sb.board["timer_ids"]:
            raise ValueError("Timer doesn't exist")
        self._due = 0
        self._period = 0
        self._cb = None
        if kw:
            self.init(**kw)

    def init(self, *, mode=PERIODIC, period=-1, tick_hz=1000, freq=None, callback=None, hard=False):
        self.deinit()
        if freq is not None:
            us = int(1000000 / freq)
        elif period < 0:
            raise ValueError("period or freq needed")
        else:
            us = int(period) * 1000000 // int(tick_hz)
        self._period = max(1, us)
        self._mode = mode
        self._cb = callback
        self._hard = hard
        self._due = _sb.now_us() + self._period
        _sb.timers.append(self)

    def deinit(self):
        if self in _sb.timers:
            _sb.timers.remove(self)

    def _expire(self):
        if self._mode == self.PERIODIC:
            self._due += self._period
        else:
            self.deinit()
        if self._cb is None:
            return False
        return _sb.call_irq(self._cb, self, self._hard) is not None

    def __repr__(self):
        return "Timer(mode=%s, period=%d)" % ("PERIODIC" if self._mode else "ONE_SHOT", self._period)


class WDT:
    def __init__(self, id=0, timeout=5000):
        if timeout > 8388:  # rp2 limit in ms
            raise ValueError("timeout too large")
        _sb.set_wdt(int(timeout) * 1000)

    def feed(self):
        _sb.feed_wdt()
