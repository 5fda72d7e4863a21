"""The board's REPL, written the way the firmware's C is written.

A port of shared/runtime/pyexec.c (friendly REPL, paste mode, raw REPL,
raw-paste mode with its flow-control window) and of a port's main.c boot
loop (boot.py, main.py, "MPY: soft reboot").  Each function is a generator
that yields requests where the C code blocks:

  yield READ              -> the next input byte (mp_hal_stdin_rx_chr)
  yield Exec(op, source)  -> run code in the MicroPython process, get a Status
  yield RESTART           -> a fresh MicroPython process (a soft reset)

The driver (server.py) answers them; output goes straight to `write`.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

from pipdream.mpremote_board.child import Status
from pipdream.mpremote_board.readline import (
    CTRL_A,
    CTRL_B,
    CTRL_C,
    CTRL_D,
    CTRL_E,
    LineEditor,
    continue_with_input,
)

FRIENDLY, RAW = "friendly", "raw"
FORCED_EXIT = 0x100  # PYEXEC_FORCED_EXIT: leave the REPL for a soft reset
STDIN_BUFFER_MAX = 256  # MICROPY_REPL_STDIN_BUFFER_MAX: raw paste grants half of it per window
READ = "read"
RESTART = "restart"


@dataclass
class Exec:
    op: str  # board_runner ops: x (file input), s (single input), f (run a file)
    source: bytes


Gen = Generator[Any, Any, int]


def cooked(data: bytes) -> bytes:
    """What mp_hal_stdout_tx_strn_cooked puts on the wire: \\n becomes \\r\\n."""
    return data.replace(b"\n", b"\r\n")


class BoardRepl:
    """The REPL state a board keeps across soft resets (the mode, the banner)."""

    def __init__(self, write: Callable[[bytes], None], banner: str) -> None:
        self.write = write
        self.banner = banner
        self.mode = FRIENDLY
        self.editor = LineEditor(write)
        # Raw-paste flow control, read by the driver as bytes arrive.
        self.paste_active = False
        self.paste_granted = 0  # bytes the host may have sent so far
        self.paste_received = 0

    # -- main.c: the soft-reset loop --------------------------------------
    def board_main(self) -> Gen:
        while True:
            yield RESTART
            self.editor.history.clear()  # readline_init0 at each reset
            ret = yield from self._run_file(b"boot.py")
            if ret != "X" and self.mode == FRIENDLY and ret != "E":
                ret = yield from self._run_file(b"main.py")
            if ret != "X":
                while True:
                    if self.mode == RAW:
                        r = yield from self.raw_repl()
                    else:
                        r = yield from self.friendly_repl()
                    if r:
                        break
            self.write(b"MPY: soft reboot\r\n")

    def _run_file(self, name: bytes) -> Generator[Any, Any, str]:
        """pyexec_file_if_exists: run the file if it is there; an exception prints its traceback."""
        st: Status = yield Exec("f", name)
        if st.kind == "E":
            self.write(cooked(st.data))
        return st.kind

    def _execute(self, op: str, source: bytes, print_eof: bool) -> Generator[Any, Any, Status]:
        """parse_compile_execute: the program's output was already forwarded."""
        st: Status = yield Exec(op, source)
        if print_eof:
            self.write(b"\x04")
        if st.kind == "E":
            self.write(cooked(st.data))
        if print_eof:
            self.write(b"\x04")
        return st

    # -- pyexec_raw_repl ---------------------------------------------------
    def raw_repl(self) -> Gen:
        self.write(b"raw REPL; CTRL-B to exit\r\n")
        while True:
            line = bytearray()
            self.write(b">")
            while True:
                c = yield READ
                if c == CTRL_A:
                    if len(line) == 2 and line[0] == CTRL_E:
                        ret = yield from self.raw_paste(line[1])
                        if ret & FORCED_EXIT:
                            return ret
                        line = bytearray()
                        self.write(b">")
                        continue
                    self.write(b"raw REPL; CTRL-B to exit\r\n")
                    line = bytearray()
                    self.write(b">")
                elif c == CTRL_B:
                    self.write(b"\r\n")
                    self.mode = FRIENDLY
                    return 0
                elif c == CTRL_C:
                    line = bytearray()
                elif c == CTRL_D:
                    break
                else:
                    line.append(c)
            self.write(b"OK")
            if not line:
                self.write(b"\r\n")
                return FORCED_EXIT
            st = yield from self._execute("x", bytes(line), print_eof=True)
            if st.kind == "X":
                return FORCED_EXIT

    # -- do_reader_stdin: raw-paste mode -----------------------------------
    def raw_paste(self, command: int) -> Gen:
        if command != ord("A"):
            self.write(b"R\x00")
            return 0
        self.write(b"R\x01")
        window = STDIN_BUFFER_MAX // 2
        # Sending the window size grants one window, the 0x01 a second one.
        self.write(bytes([window & 0xFF, window >> 8, 0x01]))
        self.paste_active, self.paste_granted, self.paste_received = True, 2 * window, 0
        remain = window
        source = bytearray()
        try:
            while True:
                c = yield READ
                if c in (CTRL_C, CTRL_D):
                    self.write(b"\x04")  # indicate end to host
                    if c == CTRL_C:
                        self.write(b"\x04" + cooked(b"KeyboardInterrupt: \n") + b"\x04")
                        return 0
                    break
                remain -= 1
                if remain == 0:
                    self.write(b"\x01")  # another window is free
                    self.paste_granted += window
                    remain = window
                source.append(c)
        finally:
            self.paste_active = False
        st = yield from self._execute("x", bytes(source), print_eof=True)
        return FORCED_EXIT if st.kind == "X" else 0

    # -- pyexec_friendly_repl ----------------------------------------------
    def _readline(self, prompt: str, line: str = "") -> Generator[Any, Any, int]:
        self.editor.init(prompt, line)
        while True:
            r = self.editor.process((yield READ))
            if r >= 0:
                return r

    def friendly_repl(self) -> Gen:
        self.write(self.banner.encode())
        while True:
            ret = yield from self._readline(">>> ")
            op = "s"
            if ret == CTRL_A:
                self.write(b"\r\n")
                self.mode = RAW
                return 0
            if ret == CTRL_B:
                self.write(b"\r\n" + self.banner.encode())
                continue
            if ret == CTRL_C:
                self.write(b"\r\n")
                continue
            if ret == CTRL_D:
                self.write(b"\r\n")
                return FORCED_EXIT
            if ret == CTRL_E:
                self.write(b"\r\npaste mode; Ctrl-C to cancel, Ctrl-D to finish\r\n=== ")
                text = bytearray()
                while True:
                    c = yield READ
                    if c == CTRL_C:
                        self.write(b"\r\n")
                        text = None
                        break
                    if c == CTRL_D:
                        self.write(b"\r\n")
                        break
                    text.append(c)
                    self.write(b"\r\n=== " if c == 13 else bytes([c]))
                if text is None:
                    continue
                source, op = bytes(text), "x"
            else:
                line = self.editor.line
                if not line:
                    continue
                cancelled = False
                while continue_with_input(line):
                    ret = yield from self._readline("... ", line + "\n")
                    if ret == CTRL_C:
                        self.write(b"\r\n")
                        cancelled = True
                        break
                    line = self.editor.line
                    if ret == CTRL_D:
                        break
                if cancelled:
                    continue
                source = line.encode()
            st = yield from self._execute(op, source, print_eof=False)
            if st.kind == "X":
                return FORCED_EXIT
