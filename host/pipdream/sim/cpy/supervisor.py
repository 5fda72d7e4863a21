"""CircuitPython's `supervisor.ticks_ms`: milliseconds since boot, wrapping at 2**29 like the real one."""

from pipdream.sim.circuitpython import current

_PERIOD = 1 << 29


def ticks_ms() -> int:
    return (current().read_us() // 1000) % _PERIOD
