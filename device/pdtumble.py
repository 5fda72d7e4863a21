"""The tumble: which face and angle code each frame of a roll animation shows.

The angle latent sweeps from a random start through TURNS half-turns to the rolled
angle, slowing down (quadratic ease-out). Angle codes -127 and +127 are -90 and
+90 degrees, the same square half a turn apart, and every pip pattern is symmetric
under a half turn, so the sweep wraps with period 254 without a visible jump. The
face changes every `hold` frames during the tumble and the last `settle` frames
show the rolled face; the last frame is exactly (face, angle code) of the roll.
"""

from pdformat import ANGLE_CODE_MAX

PERIOD = 2 * ANGLE_CODE_MAX


def wrap(code):
    """Any integer angle code -> -127..126 (period 254)."""
    return (code + ANGLE_CODE_MAX) % PERIOD - ANGLE_CODE_MAX


class Tumble:
    """The frames of one die's roll; the final face and code come from the caller's Rng."""

    def __init__(self, rng, face, code, max_frames, turns=1, settle=3, hold=2):
        self.face = face
        self.code = code
        self.start = rng.angle_code()
        self.sweep = turns * PERIOD + (code - self.start) % PERIOD
        self.settle = settle
        self.hold = max(1, hold)
        n = (max_frames + self.hold - 1) // self.hold + 1
        self.faces = bytearray(n)  # the face shown during each hold period of the tumble
        prev = face
        for i in range(n):
            prev = rng.other_face(prev)
            self.faces[i] = prev

    def face_at(self, i, n):
        """Face shown in frame i of n."""
        if i >= n - self.settle or i >= n - 1:
            return self.face
        return self.faces[i // self.hold]

    def code_at(self, i, n):
        """Angle code of frame i of n: start at frame 0, the rolled code at frame n - 1."""
        if i >= n - 1:
            return self.code
        left = n - 1 - i
        return wrap(self.start + self.sweep - self.sweep * left * left // ((n - 1) * (n - 1)))
