"""CircuitPython's `busio` on the simulated board: I2C and SPI (what the die's displays need)."""

from pipdream.sim.circuitpython import I2C, SPI

__all__ = ["I2C", "SPI"]
