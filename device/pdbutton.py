"""A debounced push button: polling, or edge IRQs plus polling, with no allocation after setup.

Contacts bounce: 8-10 edges within a few milliseconds on release are normal.
A level counts once it has been stable for `stable_ms` (20-50 ms): only then does
the debounced state change and an event come out. So a burst of any number of
edges gives at most one PRESS and one RELEASE.

Two layers:
- Debouncer: pure logic, fed (level, time) pairs; knows nothing about pins.
- Button: owns a pin. Its `irq` method is the edge handler: it only stores the
  time and level in preallocated arrays (safe in a hard IRQ: no allocation, no
  floats, no new attributes). `poll(now)` runs in the main loop, drains those
  edges in order, samples the pin and returns one event. Without IRQs, poll
  alone debounces as long as it runs more often than `stable_ms`.
"""

from array import array

NONE = 0
PRESS = 1
RELEASE = 2
LONG = 3  # held for long_ms (once per press)

_EDGES = 64  # IRQ ring size (power of two): about three bouncy presses between two polls
_NOISE = 2  # a "level" for a span whose edges were lost: it never becomes the debounced state
_EVENTS = 8  # pending event ring size (power of two)


def _default_diff(a, b):
    return a - b


class Debouncer:
    """Levels with timestamps in, PRESS / RELEASE / LONG out (one per call to event())."""

    def __init__(self, active=0, stable_ms=30, long_ms=800, ticks_diff=None):
        if not 1 <= stable_ms <= 1000:
            raise ValueError("stable_ms must be 1..1000")
        self.active = active
        self.stable_ms = stable_ms
        self.long_ms = long_ms
        self._diff = ticks_diff or _default_diff
        self._raw = 1 - active  # last level seen
        self._t_raw = 0  # when it last changed (or bounced)
        self._state = 1 - active  # debounced level
        self._t_state = 0  # when the debounced level last changed
        self._long_sent = True
        self._events = bytearray(_EVENTS)
        self._head = 0
        self._tail = 0
        self.presses = 0  # total PRESS events committed

    @property
    def pressed(self):
        return self._state == self.active

    def reset(self, level, now):
        """Start from a known level (e.g. the pin at boot): no event for it."""
        self._raw = self._state = level
        self._t_raw = self._t_state = now
        self._long_sent = True

    def edge(self, level, t):
        """The line moved at time t (an IRQ edge): restarts the stable timer even if level looks unchanged."""
        if self._diff(t, self._t_raw) < 0:  # edges drained late can be older than the last sample
            t = self._t_raw
        self._settle(t)
        self._raw = level
        self._t_raw = t

    def sample(self, level, t):
        """A polled level: only a change counts as an edge."""
        if level != self._raw:
            self.edge(level, t)

    def event(self, now):
        """Commit a level stable for stable_ms, check for a long press, return the oldest event."""
        self._settle(now)
        if not self._long_sent and self._state == self.active:
            if self._diff(now, self._t_state) >= self.long_ms:
                self._long_sent = True
                self._push(LONG)
        if self._head == self._tail:
            return NONE
        e = self._events[self._tail]
        self._tail = (self._tail + 1) & (_EVENTS - 1)
        return e

    def noise(self, t):
        """Edges were lost up to time t: nothing before t may count as a stable level."""
        self.edge(_NOISE, t)

    def _settle(self, now):
        if (self._raw != self._state and self._raw != _NOISE
                and self._diff(now, self._t_raw) >= self.stable_ms):
            self._state = self._raw
            self._t_state = self._t_raw + self.stable_ms
            if self._state == self.active:
                self._long_sent = False
                self.presses += 1
                self._push(PRESS)
            else:
                self._push(RELEASE)

    def _push(self, e):
        nxt = (self._head + 1) & (_EVENTS - 1)
        if nxt != self._tail:  # full: drop the newest rather than block
            self._events[self._head] = e
            self._head = nxt


class Button:
    """A pin (anything with value() -> 0/1) debounced; `irq` is the edge handler to attach."""

    def __init__(self, pin, clock, active=0, stable_ms=30, long_ms=800):
        self.pin = pin
        self._ticks_ms = clock.ticks_ms
        self.deb = Debouncer(active, stable_ms, long_ms, clock.ticks_diff)
        self._times = array("i", [0] * _EDGES)
        self._levels = bytearray(_EDGES)
        self._head = 0  # written only by irq
        self._tail = 0  # written only by poll
        self.deb.reset(pin.value(), clock.ticks_ms())

    def irq(self, pin):
        """Edge handler: hard-IRQ safe (stores two small ints and an index, allocates nothing)."""
        h = self._head
        i = h & (_EDGES - 1)
        self._times[i] = self._ticks_ms()
        self._levels[i] = pin.value()
        self._head = (h + 1) & 0xFFFF

    def poll(self, now):
        """Drain the IRQ edges, sample the pin, return NONE / PRESS / RELEASE / LONG."""
        h = self._head
        t = self._tail
        if ((h - t) & 0xFFFF) > _EDGES:  # ring overrun: the oldest edges were overwritten
            t = (h - _EDGES) & 0xFFFF
            self.deb.noise(self._times[t & (_EDGES - 1)])
            t = (t + 1) & 0xFFFF
        while t != h:
            i = t & (_EDGES - 1)
            self.deb.edge(self._levels[i], self._times[i])
            t = (t + 1) & 0xFFFF
        self._tail = t
        self.deb.sample(self.pin.value(), now)
        return self.deb.event(now)

    @property
    def pressed(self):
        return self.deb.pressed
