"""The REPL session of README.md, run as written: the real `mpremote ... repl` in a
terminal, typed line by line into an emulated Pico that `pipdream deploy` set up. Every
documented output line must appear; at the end the die it drew is on the emulated display."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from pipdream import deploy as D
from pipdream import reference
from pipdream.blob import load
from pipdream.mpremote_board import running_emulator
from support import REPO
from support.emulator import MPREMOTE

sys.path.insert(0, str(D.DEVICE))
import pdview  # noqa: E402

DOC = REPO / "README.md"


def session(doc: Path = DOC) -> list[str]:
    """The lines of the fenced block after the <!-- repl-session --> marker."""
    text = doc.read_text()
    m = re.search(r"<!-- repl-session -->\s*```\w*\n(.*?)```", text, re.S)
    assert m, f"no repl-session block in {doc}"
    return m.group(1).rstrip("\n").split("\n")


class Terminal:
    """A program on a pseudo-terminal, as a person runs it."""

    def __init__(self, argv: list[str]) -> None:
        self.master, slave = os.openpty()
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
        os.close(slave)
        os.set_blocking(self.master, False)
        self.seen = b""

    def type(self, data: bytes) -> None:
        os.write(self.master, data)

    def expect(self, token: bytes, timeout: float = 20.0) -> bytes:
        t0 = time.monotonic()
        while token not in self.seen:
            assert time.monotonic() - t0 < timeout, f"no {token!r} in {self.seen[-300:]!r}"
            try:
                self.seen += os.read(self.master, 4096)
            except BlockingIOError:
                time.sleep(0.01)
        i = self.seen.index(token) + len(token)
        out, self.seen = self.seen[:i], self.seen[i:]
        return out

    def close(self) -> None:
        self.type(b"\x1d")  # Ctrl-]: leave mpremote's shell
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        os.close(self.master)


def steps(lines: list[str]) -> list[tuple[str, list[str]]]:
    """(what is typed or done, the output lines the document shows for it)."""
    out: list[tuple[str, list[str]]] = []
    for line in lines:
        if line.startswith(("$ ", ">>> ", "(")):
            out.append((line, []))
        else:
            out[-1][1].append(line)
    return out


def same(got: list[str], want: list[str]) -> bool:
    """Line by line; "..." in a documented line stands for anything."""
    return len(got) == len(want) and all(
        re.fullmatch(".*".join(map(re.escape, w.split("..."))), g) for g, w in zip(got, want))


def test_the_documented_repl_session_runs_verbatim_on_an_emulated_pico(tmp_path):
    todo = steps(session())
    (connect, banner), todo = todo[0], todo[1:]
    assert connect.startswith("$ mpremote connect ") and connect.endswith(" repl")
    doc_port = connect.split()[3]
    with running_emulator(tmp_path / "fs", "pico") as emu:
        D.deploy(D.board_module("pico"), emu.path, arch="x64", watch=30, until="display found",
                 log=lambda s: None)  # the app now runs on the board, as after step 2
        term = Terminal([str(MPREMOTE), "connect", emu.path, "repl"])
        try:
            shown = term.expect(b"shell\r\n").decode().replace(emu.path, doc_port).split("\r\n")[:-1]
            assert same(shown, banner)
            for step, want in todo:
                if step.startswith("("):  # an action in words: the only one is Ctrl-C
                    assert "Ctrl-C" in step and not want
                    term.type(b"\x03")
                    term.expect(b">>> ")
                    continue
                typed = step[4:].encode()
                term.type(typed + b"\r")
                assert term.expect(b"\r\n").endswith(typed + b"\r\n")  # the board echoes the line
                got = term.expect(b">>> ")[:-4].decode(errors="replace").split("\r\n")[:-1]
                assert same(got, want), (step, got, want)  # exactly the documented output: no traceback
        finally:
            term.close()
        face, angle = _generated([s for s, _ in todo])
        want = reference.run(load(D.DEFAULT_MODEL.read_bytes()), np.array([face]), np.array([angle]))[0]
        (slot,) = pdview.layout(128, 64, 1)
        shown = emu.display()[slot.y : slot.y + slot.size, slot.x : slot.x + slot.size]
        assert np.array_equal(shown, np.kron(want >= 128, np.ones((2, 2), bool)))


def _generated(lines: list[str]) -> tuple[int, int]:
    for line in lines:
        m = re.match(r">>> model\.generate\((\d), (-?\d+), img\)", line)
        if m:
            return int(m.group(1)), int(m.group(2))
    raise AssertionError("the session generates no face")
