"""A MicroPython board on a pseudo-terminal, for the real mpremote.

`pipdream emulate` (commands/emulate.py) runs a `BoardEmulator`: the REPL
protocol of the firmware (pyexec.py, readline.py) in front of a real
MicroPython unix process (child.py, board_runner.py) whose "/" is a host
directory.  `running_emulator()` runs one in a thread for tests and scripts.
"""

from pipdream.emulator.server import BoardEmulator, EmulatorError

__all__ = ["BoardEmulator", "EmulatorError"]
