"""Wrapping millisecond and microsecond ticks, the same on MicroPython, CircuitPython and CPython.

MicroPython has time.ticks_*; CircuitPython has supervisor.ticks_ms; CPython has
neither (host tests). The app takes its clock from the board, so a simulation can
pass its own object with these five names instead of this module.
"""

import time

try:
    from time import sleep_ms, ticks_add, ticks_diff, ticks_ms, ticks_us
except ImportError:
    _PERIOD = 1 << 29  # CircuitPython's supervisor.ticks_ms wraps here; any power of two works
    _MASK = _PERIOD - 1
    _HALF = _PERIOD >> 1

    try:
        from supervisor import ticks_ms
    except ImportError:

        def ticks_ms():
            return (time.monotonic_ns() // 1000000) & _MASK

    def ticks_us():
        return (time.monotonic_ns() // 1000) & _MASK

    def ticks_diff(a, b):
        """a - b in ticks, correct across one wrap (the result is in -PERIOD/2..PERIOD/2)."""
        return ((a - b + _HALF) & _MASK) - _HALF

    def ticks_add(a, delta):
        return (a + delta) & _MASK

    def sleep_ms(ms):
        time.sleep(ms / 1000)
