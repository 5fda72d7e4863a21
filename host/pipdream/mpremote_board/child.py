"""The MicroPython unix process that plays the board's interpreter.

One process per boot: a soft reset ends it and starts a fresh one, which is
what a soft reset does to a board's heap and modules.  See board_runner.py
for the protocol spoken over its command and status pipes.
"""

from __future__ import annotations

import os
import shutil
import signal
import struct
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pipdream import micropython

RUNNER = Path(__file__).with_name("board_runner.py")
_HDR = struct.Struct("<cII")  # status: kind, seq, length


def micropython_binary() -> str:
    """The unix port: $PIPDREAM_MICROPYTHON, the venv's, or the one on PATH."""
    return micropython.tool("micropython")


def read_waiting(fd: int) -> tuple[bytes, bool]:
    """Every byte waiting on a non-blocking pipe, and whether its writer closed it."""
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            return b"".join(chunks), False
        if not chunk:
            return b"".join(chunks), True
        chunks.append(chunk)


@dataclass
class Status:
    kind: str  # R O E X N D, see board_runner.py
    seq: int
    data: bytes


@dataclass
class BoardSupport:
    """Modules the firmware has built in, imported before "/" is remounted."""

    directory: Path | None = None
    modules: tuple[str, ...] = ()
    env: dict[str, str] | None = None
    pass_fds: tuple[int, ...] = ()  # inherited by every process (the sim's record stream)


class Child:
    def __init__(self, root: Path, heap: int, flash: int, support: BoardSupport) -> None:
        self.root = root
        self._tmp = Path(tempfile.mkdtemp(prefix="pipdream-emu-"))
        self._payload = self._tmp / "payload"
        self._payload.write_bytes(b"")
        cmd_r, self._cmd_w = os.pipe()
        self._status_r, status_w = os.pipe()
        argv = [micropython_binary(), "-X", f"heapsize={heap}", str(RUNNER),
                str(cmd_r), str(status_w), str(self._payload), str(root.resolve()), str(flash)]
        if support.directory is not None:
            argv += [str(support.directory), *support.modules]
        env = dict(os.environ)
        env.update(support.env or {})
        self.proc = subprocess.Popen(
            argv, cwd=root, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            pass_fds=(cmd_r, status_w, *support.pass_fds), env=env, bufsize=0, start_new_session=True,
        )
        os.close(cmd_r)
        os.close(status_w)
        self.stdout_fd = self.proc.stdout.fileno()
        self.status_fd = self._status_r
        for fd in (self.stdout_fd, self.status_fd):
            os.set_blocking(fd, False)
        self._status_buf = b""
        self._seq = 0
        self.stdin_open = True

    # -- commands ---------------------------------------------------------
    def send(self, op: str, source: bytes = b"") -> int:
        """Start one command; its Status arrives later on status_fd."""
        self._seq += 1
        with open(self._payload, "r+b") as f:  # in place: the runner holds it open
            f.write(op.encode() + struct.pack("<I", self._seq) + source)
            f.truncate()
        os.write(self._cmd_w, b"!")
        return self._seq

    def feed_stdin(self, data: bytes) -> None:
        """Bytes the running program may read from sys.stdin."""
        if not self.stdin_open:
            return
        try:
            self.proc.stdin.write(data)
        except (BrokenPipeError, OSError):
            self.stdin_open = False

    def interrupt(self) -> None:
        """Ctrl-C while code runs: the unix port turns SIGINT into KeyboardInterrupt."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGINT)

    # -- events -------------------------------------------------------------
    def read_output(self) -> bytes:
        """Whatever the program printed so far (b"" if nothing is waiting)."""
        return read_waiting(self.stdout_fd)[0]

    def read_statuses(self) -> tuple[list[Status], bool]:
        """Complete statuses received, and whether the pipe closed (process gone)."""
        waiting, closed = read_waiting(self.status_fd)
        self._status_buf += waiting
        out = []
        while len(self._status_buf) >= _HDR.size:
            kind, seq, n = _HDR.unpack_from(self._status_buf)
            if len(self._status_buf) < _HDR.size + n:
                break
            data = self._status_buf[_HDR.size:_HDR.size + n]
            self._status_buf = self._status_buf[_HDR.size + n:]
            out.append(Status(kind.decode(), seq, data))
        return out, closed

    def exit_code(self) -> int | None:
        return self.proc.poll()

    def close(self) -> None:
        for fd in (self._cmd_w,):
            try:
                os.close(fd)
            except OSError:
                pass
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()
            except OSError:
                pass
        try:
            os.close(self._status_r)
        except OSError:
            pass
        shutil.rmtree(self._tmp, ignore_errors=True)
