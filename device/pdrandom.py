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
"""

from pdformat import ANGLE_CODE_MAX, N_FACES

_POOL = 16  # bytes fetched from the source per refill


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
    """Faces and angle codes from a random_bytes(n) -> bytes source."""

    def __init__(self, random_bytes):
        self._source = random_bytes
        self._pool = b""
        self._next = 0

    def byte(self):
        if self._next >= len(self._pool):
            pool = self._source(_POOL)
            if len(pool) != _POOL:
                raise ValueError("entropy source gave %d bytes, wanted %d" % (len(pool), _POOL))
            self._pool = pool
            self._next = 0
        b = self._pool[self._next]
        self._next += 1
        return b

    def face(self):
        while True:
            f = face_from_byte(self.byte())
            if f is not None:
                return f

    def angle_code(self):
        while True:
            a = angle_from_byte(self.byte())
            if a is not None:
                return a

    def other_face(self, face):
        """A face different from `face`, uniform over the other N_FACES - 1 (for the tumble)."""
        while True:
            f = self.face()
            if f != face:
                return f

    def stir(self, ticks):
        """Mix in the time of an event; only a JitterSource uses it."""
        stir = getattr(self._source, "stir", None)
        if stir is not None:
            stir(ticks)


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
    """os.urandom when the port has it, else a JitterSource."""
    try:
        import os

        os.urandom(1)
        return os.urandom
    except (ImportError, AttributeError, NotImplementedError, OSError):
        return JitterSource(ticks_us)
