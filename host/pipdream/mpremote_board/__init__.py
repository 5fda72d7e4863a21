"""The mpremote-facing board: a MicroPython board on a pseudo-terminal, for the real mpremote.

This package is the board's serial port and firmware REPL; the hardware behind
it (display, button, clock) is the simulated board of pipdream.sim.  The two
differ in who drives them: pipdream.sim runs the app under a script (virtual
clock, scripted presses, frames collected; `pipdream demo` and the tests), while
here a terminal drives the board as it would a real one over USB (mpremote,
`pipdream deploy`, a person at the REPL; the clock is real by default).

`pipdream emulate` (commands/emulate.py) runs a `BoardEmulator`: the REPL
protocol of the firmware (pyexec.py, readline.py) in front of a real
MicroPython unix process (child.py, board_runner.py) whose "/" is a host
directory (board_fs.py), with the simulated board of pipdream.sim around it
(boards.py).  `running_emulator()` runs one in a thread for tests and scripts:

    with running_emulator(tmp_path / "fs") as emu:
        subprocess.run(["mpremote", "connect", emu.path, "ls"])
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pipdream.mpremote_board.server import BoardEmulator, EmulatorError

__all__ = ["BoardEmulator", "EmulatorError", "running_emulator"]


@contextmanager
def running_emulator(root: Path, board: str = "pico", **kwargs: Any) -> Iterator[BoardEmulator]:
    """A BoardEmulator serving in a background thread until the block ends."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    emu = BoardEmulator(root, board, **kwargs)
    errors: list[BaseException] = []

    def serve() -> None:
        try:
            emu.serve_forever()
        except BaseException as e:  # noqa: BLE001 - reported to the caller below
            errors.append(e)

    thread = threading.Thread(target=serve, name="board-emulator", daemon=True)
    thread.start()
    try:
        yield emu
    finally:
        emu.stop()
        thread.join(timeout=10)
        emu.close()
    if errors:
        raise errors[0]
