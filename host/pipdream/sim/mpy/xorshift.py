# xorshift32, the seeded entropy of simulated boards (`pipdream demo --seed S`): the
# MicroPython stand-in's os.urandom (os.py) and the CircuitPython simulation
# (pipdream/sim/circuitpython.py, under CPython) both draw from it, so both roll the same faces.


def seed_state(seed):
    """The 32-bit state for a seed (never 0: xorshift would stay at 0)."""
    return ((int(seed) * 0x9E3779B1) ^ 0x6A09E667) & 0xFFFFFFFF or 1


def draw(x, n):
    """n bytes from state x: (bytes, the next state)."""
    out = bytearray(n)
    for i in range(n):
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        out[i] = x >> 24
    return bytes(out), x
