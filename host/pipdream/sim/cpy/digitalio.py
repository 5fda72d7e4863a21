"""CircuitPython's `digitalio` on the simulated board."""

from pipdream.sim.circuitpython import DigitalInOut, Direction, DriveMode, Pull

__all__ = ["DigitalInOut", "Direction", "DriveMode", "Pull"]
