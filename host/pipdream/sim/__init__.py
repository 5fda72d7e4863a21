"""Host-side board simulation: the SSD1306 emulator, the simulated MicroPython board, the demo.

- `ssd1306`: the display controller, fed byte for byte with what a driver sends over I2C or SPI.
- `render`: what the panel shows as PNG, GIF and terminal half-blocks.
- `mpy/`: MicroPython modules (`machine`, `time`, `os`, `simboard`) put first on the path of the
  real MicroPython unix runtime so unchanged device code runs on a scripted, simulated board.
- `world`, `bus`, `runner`: the host side of that board (what is attached, the button script,
  the stream of bus records the board sends back, the process that runs it).
- `circuitpython`: `board`/`busio`/`digitalio` stand-ins for the CircuitPython path on CPython.
- `demo`: `pipdream demo`.

docs/simulation.md explains the protocol and the clock.
"""
