"""Helpers for the emulator and deploy tests (no tests here): a running emulated board, the
real mpremote as a subprocess, and a raw serial connection for protocol-level checks."""

from __future__ import annotations

import math
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import serial
from pipdream.mpremote_board import BoardEmulator, running_emulator

MPREMOTE = Path(sys.executable).with_name("mpremote")


def mpremote(port: str, *args: str, timeout: float = 60, check: bool = True) -> subprocess.CompletedProcess:
    """The real mpremote CLI: `mpremote connect PORT args...`."""
    r = subprocess.run([str(MPREMOTE), "connect", port, *args], capture_output=True, text=True,
                       timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError(f"mpremote {' '.join(args)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return r


@pytest.fixture
def board(tmp_path: Path) -> Iterator[BoardEmulator]:
    """A fresh emulated Pico (simulated display and button) whose filesystem is tmp_path/fs."""
    logs: list[str] = []
    with running_emulator(tmp_path / "fs", "pico", log=logs.append) as emu:
        emu.logs = logs
        yield emu


class Port:
    """A raw serial connection to a board, for what mpremote does not show (prompts, framing)."""

    def __init__(self, path: str) -> None:
        self.s = serial.Serial(path, timeout=0.05)
        self.seen = b""

    def write(self, data: bytes) -> None:
        self.s.write(data)

    def expect(self, token: bytes, timeout: float = 10.0) -> bytes:
        """Everything received up to and including token (AssertionError after timeout)."""
        t0 = time.monotonic()
        while token not in self.seen:
            if time.monotonic() - t0 > timeout:
                raise AssertionError(f"did not see {token!r}; got {self.seen[-400:]!r}")
            self.seen += self.s.read(4096)
        i = self.seen.index(token) + len(token)
        out, self.seen = self.seen[:i], self.seen[i:]
        return out

    def send(self, data: bytes, token: bytes, timeout: float = 10.0) -> bytes:
        """Write data; everything received then up to and including token (see expect)."""
        self.write(data)
        return self.expect(token, timeout)

    def settle(self, ending: bytes, quiet: float = 0.5, timeout: float = 20.0) -> bytes:
        """Everything received until the output ends with `ending` and then stays quiet."""
        t0 = last = time.monotonic()
        while not (self.seen.endswith(ending) and time.monotonic() - last >= quiet):
            if time.monotonic() - t0 > timeout:
                raise AssertionError(f"output did not settle on {ending!r}; got {self.seen[-400:]!r}")
            chunk = self.s.read(4096)
            if chunk:
                self.seen += chunk
                last = time.monotonic()
        out, self.seen = self.seen, b""
        return out

    def drain(self, quiet: float = 0.3) -> bytes:
        """Whatever arrives until the line has been quiet for `quiet` seconds."""
        return self.settle(b"", quiet, timeout=math.inf)  # every output ends with b""

    def close(self) -> None:
        self.s.close()


@pytest.fixture
def port(board: BoardEmulator) -> Iterator[Port]:
    p = Port(board.path)
    yield p
    p.close()
