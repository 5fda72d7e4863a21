"""Fair faces and angle codes from random bytes: rejection sampling, never `% 6`.

The mappings are pure functions of one byte, so a test can check every input:
- face_from_byte: two 3-bit candidates per byte (bits 0-2, then bits 3-5); a
  candidate 0..5 is the face 1..6, 6 and 7 are rejected. 240 of the 256 bytes
  give a face, exactly 40 for each face; the other 16 give None (draw again).
- angle_from_byte: 0..254 -> angle code -127..127, 255 rejected.

Rng draws bytes from the board's best entropy source (os.urandom on every port
we support: RP2040 ring oscillator, ESP32 hardware RNG). JitterSource is the
documented fallback for a port without os.urandom: it seeds a xorshift32 from
timer jitter and stirs in the time of each button press; it is not
cryptographic, but every face stays equally likely.

A source can fail without an error: stuck on one byte (the rp2 firmware's os.urandom in
rp2040js returns 2a 2a 2a ...) or weak enough that every draw is rejected. Rng checks what it
reads (NIST SP 800-90B's repetition count test: the same byte REPEAT_CUTOFF times in a row, odds
2**-56 for a true source) and bounds every rejection loop (REJECT_CUTOFF draws in a row, odds
under 2**-82); either trips once, says so on the console, and from then on XORs a JitterSource
into every byte. XOR with a stuck or weak byte keeps the jitter's uniformity, so the mappings
above stay fair; the die never freezes.
"""

from pdformat import ANGLE_CODE_MAX, N_FACES

_POOL = 16  # bytes fetched from the source per refill
REPEAT_CUTOFF = 8  # the same byte this many times in a row: the source is stuck
REJECT_CUTOFF = 32  # rejected draws (or tumble faces equal to the last) in a row: the source is weak


def face_from_byte(b):
    """One random byte -> face 1..N_FACES, or None when the byte is rejected."""
    v = b & 7
    if v < N_FACES:
        return v + 1
    v = (b >> 3) & 7
    if v < N_FACES:
        return v + 1
    return None


def angle_from_byte(b):
    """One random byte -> angle code -ANGLE_CODE_MAX..ANGLE_CODE_MAX, or None when rejected."""
    if b < 2 * ANGLE_CODE_MAX + 1:
        return b - ANGLE_CODE_MAX
    return None


class Rng:
    """Faces and angle codes from a random_bytes(n) -> bytes source (ticks_us: for the fallback's seed)."""

    def __init__(self, random_bytes, ticks_us=None):
        self._source = random_bytes
        self._ticks_us = ticks_us
        self._pool = b""
        self._next = 0
        self._last = -1  # the last byte the source gave, and how many times in a row
        self._run = 0
        self.mix = None  # the JitterSource XORed into every byte once the source failed a check
        self.fault = None  # what the check saw (said once on the console)

    def _refill(self):
        pool = self._source(_POOL)
        if len(pool) != _POOL:
            raise ValueError("entropy source gave %d bytes, wanted %d" % (len(pool), _POOL))
        if self.mix is not None:
            mixed = bytearray(self.mix(_POOL))
            for i in range(_POOL):
                mixed[i] ^= pool[i]
            pool = mixed
        self._pool = pool
        self._next = 0

    def _failed(self, why):
        """The source failed a check: mix timer jitter into it from the next byte on."""
        if self.mix is not None:
            return
        ticks = self._ticks_us
        if ticks is None:
            import pdclock

            ticks = pdclock.ticks_us
        self.mix = JitterSource(ticks)
        self.fault = "entropy source %s: mixing in timer jitter (faces stay equally likely)" % why
        print("pipdream: " + self.fault)
        self._next = len(self._pool)  # drop the rest of the unmixed pool

    def byte(self):
        if self._next >= len(self._pool):
            self._refill()
        b = self._pool[self._next]
        self._next += 1
        if self.mix is None:  # the repetition count test, on the bytes the source itself gives
            if b == self._last:
                self._run += 1
                if self._run >= REPEAT_CUTOFF:
                    self._failed("gave byte %02x %d times in a row" % (b, self._run))
            else:
                self._last = b
                self._run = 1
        return b

    def face(self):
        return self._draw(face_from_byte, "had %d bytes in a row rejected for a face")

    def angle_code(self):
        return self._draw(angle_from_byte, "had %d bytes in a row rejected for an angle")

    def _draw(self, from_byte, why):
        """from_byte(b) of the first byte it does not reject; the rejections in a row are bounded."""
        rejected = 0
        while True:
            v = from_byte(self.byte())
            if v is not None:
                return v
            rejected += 1
            self._bound(rejected, why)

    def other_face(self, face):
        """A face different from `face`, uniform over the other N_FACES - 1 (for the tumble)."""
        same = 0
        while True:
            f = self.face()
            if f != face:
                return f
            same += 1
            self._bound(same, "drew the same face %d times in a row")

    def _bound(self, n, why):
        if n == REJECT_CUTOFF:
            self._failed(why % n)
        elif n >= 8 * REJECT_CUTOFF:  # even with the jitter mixed in: a broken source, not a hang
            raise RuntimeError("entropy source " + why % n)

    def stir(self, ticks):
        """Mix in the time of an event; only a JitterSource uses it (the source's, or the mix's)."""
        stir = getattr(self._source, "stir", None)
        if stir is not None:
            stir(ticks)
        if self.mix is not None:
            self.mix.stir(ticks)


class JitterSource:
    """random_bytes(n) for ports without os.urandom: xorshift32 seeded from timer jitter.

    The seed collects the low bit of ticks_us() across 64 busy loops whose length
    depends on the previous bits; each button press stirs its microsecond time in.
    """

    def __init__(self, ticks_us):
        self._ticks_us = ticks_us
        s = 0x9E3779B9
        for _ in range(64):
            n = 0
            for _ in range(17 + (s & 15)):
                n += 1
            s = ((s << 1) | (ticks_us() & 1)) ^ (s >> 31)
            s &= 0xFFFFFFFF
        self._state = s or 1

    def stir(self, ticks):
        self._state = (self._state ^ (ticks * 0x9E3779B1)) & 0xFFFFFFFF or 1

    def _next(self):
        x = self._state
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        self._state = x
        return x

    def __call__(self, n):
        out = bytearray(n)
        for i in range(n):
            out[i] = self._next() >> 24
        return bytes(out)


def best_source(ticks_us):
    """os.urandom when the port has it, else a JitterSource whose `why` says what failed."""
    try:
        import os

        os.urandom(1)
        return os.urandom
    except (ImportError, AttributeError, NotImplementedError, OSError) as e:
        source = JitterSource(ticks_us)
        source.why = "os.urandom failed: %s %s" % (type(e).__name__, e)
        return source


def source_name(source, name):
    """What the console calls the board's entropy: its board module's name for os.urandom, or
    the fallback that replaced it, and why."""
    why = getattr(source, "why", None)
    return name if why is None else "timer jitter (%s)" % why
