# simboard: the simulated board behind the `machine`, `time` and `os` stand-ins.
#
# MicroPython code. The host puts this folder first on MICROPYPATH; unchanged device code
# then imports our `machine`, `time` and `os` (MicroPython lets a .py file on the path extend
# these built-in modules), and everything they do goes through here:
#
# - the clock (time.ticks_*, sleep_*): "virtual" (the default: deterministic, the host's clock
#   is never read) or "real" (sleeps really sleep: the board emulator a person watches). The
#   virtual clock moves only by the app's waits (sleeps, lightsleep, idle), bus transfers,
#   the modelled cost of each generate() call (the board's cycles per MAC, see compute()) and
#   `quantum_us` per clock read the app makes, so a polling loop still progresses;
# - the world: pins driven from outside (the button), I2C and SPI devices, a script of timed
#   steps (press, release, wait for the display to go quiet, attach/detach a device, end);
# - the record stream: one text line per bus transaction and event, to the file named by
#   PIPDREAM_SIM_BUS, which the host turns into pictures (docs/simulation.md has the format);
#   a "beat" record every BEAT_US of board time lets the host see that the board progresses.
#
# The world comes from the JSON file named by PIPDREAM_SIM_WORLD (pipdream.sim.world.World.write);
# without it there is no board to simulate.

import sys
import builtins
import micropython
from binascii import hexlify

import firmware
import timed  # now: the board emulator takes this folder off sys.path once the board boots

_rt = firmware.module("time")  # the built-in modules, not our stand-ins
_ros = firmware.module("os")

TICKS_PERIOD = 1 << 30  # time.ticks_* wrap here on 32-bit boards (the x64 unix port: 2**62)
_MASK = TICKS_PERIOD - 1
_HALF = TICKS_PERIOD >> 1
BEAT_US = 250000  # board time between two "beat" records

# The board profile (world["board"]) is the board module's (pipdream.boards.sim_profile: its SIM
# table, HEAP_BYTES as "heap" and FREQ as "freq"; boards/board_pico.py comments each field) with the
# host's cycles_per_mac ("backend_plan" -> board cycles per MAC of generate(), timed.py) and
# app_costs_us; "port" names whose C source the stand-ins follow where ports differ.


def _load_world():
    path = _ros.getenv("PIPDREAM_SIM_WORLD")
    if not path:
        raise ImportError("simboard: PIPDREAM_SIM_WORLD is not set: the simulated board is the host's"
                          " (pipdream.sim.runner.run_board, or pipdream emulate)")
    import json

    with open(path) as f:
        return json.load(f)


world = _load_world()
board = world["board"]
_mode = world.get("clock", "virtual")
if _mode not in ("virtual", "real"):
    raise ValueError("PIPDREAM_SIM_WORLD: clock must be virtual or real")
_quantum = int(world.get("quantum_us", 1))
_tick0_us = int(world.get("ticks_start_ms", 0)) * 1000
_limit_us = int(world.get("limit_us", 3600 * 1000000))

# ------------------------------------------------------------------ record stream
_bus_path = _ros.getenv("PIPDREAM_SIM_BUS")
_out = open(_bus_path, "wb") if _bus_path else None


_HEX_CHUNK = 128  # bytes hexlified at a time: a display window's record never needs one big block


def emit(kind, *fields):
    """One record: `kind t_us field...` (fields are str, int, or a buffer written as hex, "-" when
    empty). Written a field at a time: the stand-ins share the board's heap, and a whole record
    (2 KB for a full window) could fail on a fragmented heap where the app itself would not."""
    if _out is None:
        return
    w = _out.write
    w(kind.encode())
    w((" %d" % now_us()).encode())
    for f in fields:
        w(b" ")
        if isinstance(f, (bytes, bytearray, memoryview)):
            if not len(f):
                w(b"-")
            mv = memoryview(f)
            for i in range(0, len(mv), _HEX_CHUNK):
                w(hexlify(mv[i:i + _HEX_CHUNK]))
        else:
            w(str(f).encode())
    w(b"\n")


# ------------------------------------------------------------------ host clock (real mode only)
# A slow host on purpose (tests): host_clock = [min_us, max_us, seed] makes every read of the
# host's clock advance it by min..max microseconds, and real sleeps advance it instead of
# sleeping. The number of reads is counted: the virtual clock must make none.
_host = world.get("host_clock")
_host_t = [0, 0, 0]  # fake host clock, its xorshift state, reads of the host clock
if _host:
    from xorshift import seed_state as _seed_state

    _host_t[1] = _seed_state(_host[2])


def _host_us():
    _host_t[2] += 1
    if not _host:
        return _rt.ticks_us()
    x = _host_t[1]  # xorshift32 inline: allocates nothing (the app may hold the heap locked)
    x ^= (x << 13) & 0xFFFFFFFF
    x ^= x >> 17
    x ^= (x << 5) & 0xFFFFFFFF
    _host_t[1] = x
    _host_t[0] += _host[0] + (x >> 8) % (_host[1] - _host[0] + 1)
    return _host_t[0]


def _host_sleep_us(us):
    if _host:
        _host_t[0] += us
    else:
        _rt.sleep_us(us)


# ------------------------------------------------------------------ clock
_v = 0  # virtual mode: the clock, microseconds since boot
_busy = 0  # virtual mode: microseconds of _v spent computing (generate(), clock reads), not waiting
_computing = False  # compute() is moving the clock: that time is busy, not waiting
_real = 0  # real mode: real microseconds since boot
_last_raw = _host_us() if _mode == "real" else 0
_depth = 0  # > 0 while simboard fires events (no nested servicing)
_in_irq = False  # a hard IRQ handler is running: nothing may allocate
_ended = False
_next_beat = BEAT_US


def _real_us():
    global _real, _last_raw
    raw = _host_us()
    _real += _rt.ticks_diff(raw, _last_raw)
    _last_raw = raw
    return _real


def now_us():
    """The board's clock in microseconds since boot (no wrap)."""
    if _mode == "virtual":
        return _v
    return _real_us()


def _waited_us():
    """Board time spent waiting since boot (all of it on the real clock)."""
    return _v - _busy if _mode == "virtual" else _real_us()


def _move_to(t):
    """Move the clock forward to t (never back). Virtual: exactly to t; real: sleep until then."""
    global _v, _busy
    if _mode == "virtual":
        if t > _v:
            if _computing:
                _busy += t - _v
            _v = t
    else:
        d = t - _real_us()
        if d > 0:
            _host_sleep_us(d)


def _read_us():
    """The clock as the app reads it: each read costs the board `quantum_us` of computing."""
    global _v, _busy
    if _mode == "virtual":
        _v += _quantum
        _busy += _quantum
        return _v
    return _real_us()


def ticks_ms():
    t = _read_us()
    if not _in_irq and not _depth:
        service()
    return ((t + _tick0_us) // 1000) & _MASK


def ticks_us():
    t = _read_us()
    if not _in_irq and not _depth:
        service()
    return (t + _tick0_us) & _MASK


def ticks_diff(a, b):
    """a - b for ticks of a 32-bit board (period 2**30): in -2**29 .. 2**29 - 1."""
    return ((a - b + _HALF) & _MASK) - _HALF


def ticks_add(a, delta):
    return (a + delta) & _MASK


def sleep_us(us):
    """Time passes; events due meanwhile fire at their own time."""
    if us > 0:
        advance(int(us))
    elif not _in_irq and not _depth:
        service()


def compute(us):
    """The board computes for `us` microseconds (a modelled cost): events due meanwhile fire
    (a button IRQ interrupts a computation), but the time does not count as waiting."""
    global _computing
    _computing = True
    try:
        advance(us)
    finally:
        _computing = False


# ------------------------------------------------------------------ modelled computation
_import = builtins.__import__


def _import_hook(name, globals=None, locals=None, fromlist=None, level=0):
    """Every import: the app's pdinfer gets a load() whose models take board time (timed.py)."""
    if name == "_thread" and _rp2thread is not None:
        return _rp2thread  # the rp2 port's one thread on core 1
    m = _import(name, globals, locals, fromlist, level)
    if name == "pdinfer":
        timed.hook_pdinfer(m, compute, board.get("cycles_per_mac") or {}, board["freq"])
    elif name == "pdview":
        timed.hook_pdview(m, compute, board.get("app_costs_us") or {}, board["freq"])
    return m


builtins.__import__ = _import_hook
if "pdview" in sys.modules:  # pdapp imports it before the board (and so this module) is made
    timed.hook_pdview(sys.modules["pdview"], compute, board.get("app_costs_us") or {}, board["freq"])


# ------------------------------------------------------------------ events
class _Script:
    """The world's script, read from its file a step at a time (fixed-width JSON lines,
    world.write_script), so that a script of any length costs the app's heap only the step
    at hand."""

    def __init__(self):
        self.n = int(world.get("script_steps", 0))
        if self.n:
            self.file = open(world["script_file"], "rb")
            self.width = int(world["script_width"])

    def step(self, i):
        import json

        self.file.seek(i * self.width)
        return json.loads(self.file.read(self.width))


_script = _Script()
_cur = _script.step(0) if _script.n else None  # the step at _si (parsed once: _next_due allocates nothing)
_si = 0  # next script step
_repeats = {}  # index of a "repeat" step -> how many times it has jumped back
_step_base = 0  # when the previous step completed
_waited_at_bus = 0  # _waited_us() at the end of the last bus transaction
_waited_at_base = 0  # _waited_us() when the previous script step completed
timers = []  # active machine.Timer objects (each has _due)
_wdt = None  # [timeout_us, deadline_us]


def _goto(i):
    """Make script step i the next one (parsing it now, with the heap unlocked)."""
    global _si, _cur
    _si = i
    _cur = _script.step(i) if i < _script.n else None


def _step_due():
    """When the next script step fires; a "quiet" step also fires at its timeout."""
    s = _cur
    due = _step_base + s[0]
    if s[1] == "quiet":  # [dt, "quiet", quiet_us, max_us]
        return min(max(due, now_us() + _quiet_left(s[2])), due + s[3])
    return due


def _quiet_left(quiet_us):
    """Microseconds the board must still wait, without display traffic since the quiet step
    began, to count as quiet.

    Only waiting counts (sleeps, lightsleep, idle): a long computation between two frames is
    not "quiet", however long it takes."""
    return quiet_us - (_waited_us() - max(_waited_at_bus, _waited_at_base))


_what = None  # kind of the event _next_due() found: "script", "limit", "wdt" or a Timer


def _next_due():
    """Time of the earliest pending event (its kind in _what). Allocates nothing."""
    global _what
    best = _limit_us
    what = "limit"
    if _si < _script.n:
        d = _step_due()
        if d < best:
            best = d
            what = "script"
    for tm in timers:
        if tm._due < best:
            best = tm._due
            what = tm
    if _wdt is not None and _wdt[1] < best:
        best = _wdt[1]
        what = "wdt"
    _what = what
    return best


# The app may hold the heap locked (micropython.heap_lock) around code that calls time or
# machine functions, which allocate nothing on a board. Ours allocate only when something
# happens (an event fires, a bus transaction is recorded), and then with the heap unlocked.
def heap_unlock_all():
    """Unlock the heap if the app locked it; returns the depth for heap_relock."""
    n = 0
    while True:
        try:
            bytearray(1)
            return n
        except MemoryError:
            micropython.heap_unlock()
            n += 1


def heap_relock(n):
    while n > 0:
        micropython.heap_lock()
        n -= 1


def service():
    """Fire every event due by now (called from the stand-ins' entry points)."""
    if _ended:
        raise SystemExit(0)
    if _depth or _in_irq:
        return
    now = now_us()
    if _next_due() > now and now < _next_beat:
        return  # the common case: nothing due, nothing allocated
    n = heap_unlock_all()
    try:
        _run_until(now, False)
        _beat()
    finally:
        heap_relock(n)


def _beat():
    """A "beat" record every BEAT_US of board time: the host's sign that the board progresses
    (with the script step it is at). Called with the heap unlocked."""
    global _next_beat
    now = now_us()
    if now >= _next_beat:
        emit("beat", str(_si))
        _next_beat = now - now % BEAT_US + BEAT_US


def advance(us, wake=False):
    """Let `us` microseconds pass; with wake, stop early after an IRQ or timer callback.

    Returns True when woken early."""
    if _in_irq:
        _move_to(now_us() + us)  # busy-wait inside an IRQ: time passes, nothing else runs
        return False
    target = now_us() + us
    woke = False
    if _next_due() > target and target < _next_beat:
        _move_to(target)
    else:
        n = heap_unlock_all()
        try:
            woke = _run_until(target, wake)
            if not woke:
                _move_to(target)
            _beat()
        finally:
            heap_relock(n)
    if _ended:
        raise SystemExit(0)
    return woke


def _run_until(limit, wake):
    global _depth
    if _ended:
        raise SystemExit(0)
    _depth += 1
    try:
        while True:
            due = _next_due()
            if due > limit:
                return False
            _move_to(due)
            if _fire(_what) and wake:
                return True
    finally:
        _depth -= 1


def _fire(what):
    """Run one event; True if it called back into the app (a wake-up source).

    Every call makes progress: an event fires, or the clock moves forward (a "quiet" step
    found the board computing rather than waiting: its due time is now later)."""
    global _step_base, _waited_at_base
    if what == "script":
        s = _cur
        due = _step_due()
        if s[1] == "quiet" and _quiet_left(s[2]) > 0:
            if now_us() < _step_base + s[0] + s[3]:
                return False  # computing, or the real clock woke early: look again
            end("timeout", "the display did not go quiet for %d ms within %d s"
                % (s[2] // 1000, s[3] // 1000000))
        _step_base = due
        if s[1] == "repeat":  # [dt, "repeat", back, times]: run the previous `back` steps again
            done = _repeats.get(_si, 0)
            if done < s[3]:
                _repeats[_si] = done + 1
                _goto(_si - s[2])
                _waited_at_base = _waited_us()
                return False
            _repeats[_si] = 0
        _goto(_si + 1)
        emit("step", str(_si))  # the host's "where is it" when a board gets stuck
        woke = _do_step(s)
        # read after the step's records: on the real clock writing them takes host time, and a
        # quiet step that follows must not count it
        _waited_at_base = _waited_us()
        return woke
    if what == "limit":
        end("limit", "time limit of %d s reached" % (_limit_us // 1000000))
    if what == "wdt":
        end("watchdog", "watchdog reset")
    return what._expire()  # a Timer


def _do_step(s):
    op = s[1]
    if op == "level":  # [dt, "level", pin, 0 | 1 | None]: drive a pin from outside (None = let go)
        emit("ext", str(s[2]), "z" if s[3] is None else str(s[3]))
        return pin_state(s[2]).drive_external(s[3])
    if op == "attach" or op == "detach":
        dev = devices_by_name[s[2]]
        dev["present"] = op == "attach"
        emit(op, s[2])
    elif op == "mark":
        emit("mark", s[2])
    elif op == "end":
        end("script", s[2] if len(s) > 2 else "script done")
    # "wait" and "quiet" only move the script's time
    return False


def end(kind, reason):
    """Stop the simulation: the last record, then SystemExit in the app's main context.

    kind: script (the script's end step), timeout, limit, watchdog, reset (machine.reset and
    friends, deepsleep)."""
    global _ended
    if not _ended:
        _ended = True
        emit("hostclock", str(_host_t[2]))  # reads of the host's clock (virtual: must be 0)
        emit("end", kind, reason)  # the stream is unbuffered: nothing to flush
    raise SystemExit(0)


def bus_activity():
    global _waited_at_bus
    _waited_at_bus = _waited_us()


def set_wdt(timeout_us):
    global _wdt
    _wdt = [timeout_us, now_us() + timeout_us]


def feed_wdt():
    if _wdt is not None:
        _wdt[1] = now_us() + _wdt[0]


# ------------------------------------------------------------------ IRQ context
def call_irq(fn, arg, hard):
    """Call an IRQ handler as the port does: hard under heap_lock now, soft scheduled."""
    global _in_irq
    if not hard:
        try:
            micropython.schedule(fn, arg)
        except RuntimeError:  # queue full: the port drops the soft IRQ
            pass
        return True
    _in_irq = True
    micropython.heap_lock()
    try:
        fn(arg)
    except BaseException as e:  # the port reports it and disables the IRQ
        micropython.heap_unlock()
        _in_irq = False
        print("Uncaught exception in IRQ callback handler")
        sys.print_exception(e)
        return None
    micropython.heap_unlock()
    _in_irq = False
    return True


# ------------------------------------------------------------------ pins
PULL_UP = 1
PULL_DOWN = 2
IN = 0
OUT = 1
OPEN_DRAIN = 2
ALT = 3
_NOPULL = 0


class PinState:
    """One physical pin, shared by every machine.Pin object made for it."""

    def __init__(self, pid):
        self.id = pid
        self.mode = IN
        self.pull = PULL_DOWN if board.get("reset_pull") == "down" else (
            PULL_UP if board.get("reset_pull") == "up" else _NOPULL)
        self.out = 0
        self.ext = None  # level driven from outside (button, another chip), None = not driven
        self.irq = None  # machine's IRQ object
        self.watchers = []  # callables (old, new) for devices wired to this pin (RES#, ...)
        self.floating_reads = 0
        self.watched = str(pid) in world.get("watch_pins", ())  # outputs to record (LEDs)
        self.level = self._resolve()

    def _resolve(self):
        if self.mode == OUT:
            return self.out
        if self.mode == OPEN_DRAIN and self.out == 0:
            return 0
        if self.ext is not None:
            return self.ext
        if self.pull == PULL_UP:
            return 1
        if self.pull == PULL_DOWN:
            return 0
        ext_pull = world.get("pulls", {}).get(str(self.id))
        if ext_pull is not None:  # a resistor on the board
            return ext_pull
        self.floating_reads += 1  # an undriven input: reads 0 here (on a board: anything)
        return 0

    def update(self):
        """Recompute the level; fire IRQs and watchers on a change. True if a handler ran."""
        old = self.level
        new = self._resolve()
        if new == old:
            return False
        self.level = new
        for w in self.watchers:
            w(old, new)
        irq = self.irq
        if irq is not None and irq.handler is not None:
            flag = 4 if new == 0 else 8  # IRQ_FALLING, IRQ_RISING
            if irq.trigger & flag:
                irq._flags = flag
                if call_irq(irq.handler, irq.pin, irq.hard) is None:
                    irq.trigger = 0  # the port disables an IRQ whose handler raised
                return True
        return False

    def drive_external(self, level):
        self.ext = level
        return self.update()


_pins = {}


def pin_id(pid):
    """Canonical pin id: 'GP15' and 15 are the same pin on a Pico."""
    pre = board.get("pin_prefix")
    if isinstance(pid, str) and pre and pid.startswith(pre) and pid[len(pre):].isdigit():
        return int(pid[len(pre):])
    return pid


def pin_state(pid):
    pid = pin_id(pid)
    st = _pins.get(pid)
    if st is None:
        st = PinState(pid)
        _pins[pid] = st
    return st


# ------------------------------------------------------------------ devices
devices_by_name = {}
_i2c = {}  # (scl, sda, addr) -> device
_spi = {}  # sck -> [device]


class Ram:
    """A 256-byte register file at an I2C address (first written byte = register pointer)."""

    def __init__(self):
        self.mem = bytearray(256)
        self.ptr = 0

    def write(self, buf):
        if len(buf):
            self.ptr = buf[0]
            for b in buf[1:]:
                self.mem[self.ptr] = b
                self.ptr = (self.ptr + 1) & 0xFF

    def read(self, n):
        out = bytearray(n)
        for i in range(n):
            out[i] = self.mem[self.ptr]
            self.ptr = (self.ptr + 1) & 0xFF
        return out


def _attach_all():
    for d in world.get("devices", []):
        d.setdefault("present", True)
        devices_by_name[d["name"]] = d
        if d["kind"] == "ram":
            d["model"] = Ram()
        if d["bus"] == "i2c":
            _i2c[(pin_id(d["scl"]), pin_id(d["sda"]), d["addr"])] = d
        elif d["bus"] == "spi":
            _spi.setdefault(pin_id(d["sck"]), []).append(d)
            res = d.get("res")
            if res is not None:
                name = d["name"]

                def on_res(old, new, name=name):
                    if new == 0:
                        emit("reset", name)

                pin_state(res).watchers.append(on_res)
        else:
            raise ValueError("device %s: bus must be i2c or spi" % d["name"])


def i2c_device(scl, sda, addr):
    d = _i2c.get((scl, sda, addr))
    if d is not None and d["present"]:
        return d
    return None


def spi_devices(sck):
    return _spi.get(sck, ())


_attach_all()
_rp2thread = None
if board.get("port") == "rp2":
    import rp2thread as _rp2thread  # noqa: F811 - now: the folder leaves sys.path once the board boots
emit("boot", board["name"], _mode)
