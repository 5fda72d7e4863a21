"""The simulated board: the app runs on it under a script, on a virtual clock, and its frames are kept.

A board that exists only on the host: the real MicroPython unix runtime runs the unchanged device
app with stand-ins for the board's built-in modules, a deterministic virtual clock (each
generate() costs its modelled board time), button presses from a script, and every display
transaction sent back as a record and drawn by an SSD1306 emulator. `pipdream demo` and the
tests use it. Its sibling pipdream.mpremote_board puts a serial port and the firmware's REPL
in front of the same simulated hardware, for mpremote; nothing here speaks to a terminal.

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
