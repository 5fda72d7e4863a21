"""The emulated board's serial port: a pseudo-terminal and one event loop.

The loop moves bytes between the terminal (mpremote, or a person), the REPL
generators of pyexec.py and the MicroPython process of child.py:

  * while the REPL waits for input, it gets the terminal's bytes one by one;
  * while code runs, a Ctrl-C becomes SIGINT (KeyboardInterrupt, as the
    board's UART interrupt raises it) and other bytes go to the program's
    stdin; the ones it did not read go back to the REPL afterwards, as they
    would stay in a board's stdin ring buffer;
  * program output is forwarded as the firmware sends it (\\n as \\r\\n).

A process that dies (a crash, a natmod fault) is a hard reset: fresh
process, friendly REPL, banner, and a line in the emulator's log.
"""

from __future__ import annotations

import os
import select
import shutil
import sys
import tempfile
import threading
import time
import tty
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pipdream.mpremote_board.child import Child, Status, read_waiting
from pipdream.mpremote_board.pyexec import READ, RESTART, BoardRepl, Exec, cooked

OUTPUT_QUEUE_MAX = 64 * 1024  # like a board's USB buffer with nobody reading: old output is lost
INTERRUPT_GAP_S = 0.1  # the unix port exits on a second SIGINT before it handled the first
CRASH_LOOP_S = 1.0  # hard resets closer than this are spaced out


class EmulatorError(RuntimeError):
    """The emulator itself could not run (not a problem of the code on the board)."""


class _Line:
    """One direction of a serial line at `baud` (10 bits a byte), or unlimited when baud is None."""

    def __init__(self) -> None:
        self.baud: int | None = None
        self._credit = 0.0
        self._t = time.monotonic()

    def _refill(self) -> None:
        now = time.monotonic()
        if self.baud:
            self._credit = min(self._credit + (now - self._t) * self.baud / 10, 64.0)
        self._t = now

    def ready(self) -> bool:
        self._refill()
        return not self.baud or self._credit >= 1

    def wait(self) -> float:
        """Seconds until one byte may pass."""
        return max(0.0, (1 - self._credit) * 10 / self.baud) if self.baud else 0.0

    def take(self, n: int) -> int:
        """How many of n bytes may pass now."""
        self._refill()
        if not self.baud:
            return n
        k = min(n, int(self._credit))
        self._credit -= k
        return k


class BoardEmulator:
    """One emulated board: `path` is its serial port, `root` its filesystem.

    With the simulation (the default), `view` is the host's view of the
    simulated display and bus (pipdream.sim.bus.BoardView); the display keeps
    its picture across soft resets, as a real OLED does.  Records of the bus
    also go to `record_path` when given (appended, one boot after another).
    """

    def __init__(
        self,
        root: Path,
        board: str = "pico",
        *,
        presses: list[float] = (),
        clock: str = "real",
        seed: int | None = None,
        simulate: bool = True,
        flash: int | None = None,
        link: Path | None = None,
        record_path: Path | None = None,
        log: Callable[[str], None] | None = None,
    ) -> None:
        from pipdream.mpremote_board.boards import emulated_board

        self.root = Path(root).resolve()
        if not self.root.is_dir():
            raise FileNotFoundError(f"board filesystem root {self.root} is not a directory")
        self._log = log or (lambda msg: print(f"emulator: {msg}", file=sys.stderr, flush=True))
        self._tmp = Path(tempfile.mkdtemp(prefix="pipdream-board-"))
        self._bus_r = self._bus_w = None
        self.view = None
        self._records = open(record_path, "ab") if record_path is not None else None  # noqa: SIM115
        self._bus_buf = b""
        self._lock = threading.Lock()
        if simulate:
            self._bus_r, self._bus_w = os.pipe()
            os.set_blocking(self._bus_r, False)
            self.board = emulated_board(board, presses=list(presses), clock=clock, seed=seed,
                                        bus_fd=self._bus_w, world_path=str(self._tmp / "world.json"))
            self.board.world.write(self._tmp / "world.json")
            from pipdream.sim.bus import BoardView

            self.view = BoardView(self.board.world)
        else:
            self.board = emulated_board(board, simulate=False)
        self.heap = self.board.heap
        self.flash = flash or self.board.flash
        self.support = self.board.support
        self.master, self._slave = os.openpty()
        tty.setraw(self._slave)  # no echo of our own output back to us before a client opens it
        os.set_blocking(self.master, False)
        self.path = os.ttyname(self._slave)
        self.link = link
        if link is not None:
            link = Path(link)
            if link.is_symlink() or link.exists():
                link.unlink()
            link.symlink_to(self.path)
        self._out = bytearray()
        self._in = bytearray()
        self.repl = BoardRepl(self._write, self.board.banner())
        self._gen = self.repl.board_main()
        self._want: Any = None  # the request the REPL is blocked on
        self.child: Child | None = None
        self._exec_seq = 0
        self._forwarded = 0  # stdin bytes given to the running program
        self._drain_seq = 0
        self._last_interrupt = 0.0
        self.baud: int | None = None  # None: as fast as USB; a number: a UART's speed, both ways
        self._in_line, self._out_line = _Line(), _Line()
        self._stopped = False
        self._wake_r, self._wake_w = os.pipe()  # stop() from another thread ends the select at once
        self._pending_status: Status | None = None
        self.crashes = 0
        self._last_crash = -1e9
        self.boots = 0

    # -- the simulation's record stream ----------------------------------------
    def _pump_records(self) -> None:
        if self._bus_r is None:
            return
        self._bus_buf += read_waiting(self._bus_r)[0]
        if b"\n" not in self._bus_buf:
            return
        lines, _, self._bus_buf = self._bus_buf.rpartition(b"\n")
        if self._records is not None:
            self._records.write(lines + b"\n")
            self._records.flush()
        with self._lock:
            for line in lines.decode(errors="replace").split("\n"):
                try:
                    self.view.feed_line(line)
                except (ValueError, IndexError) as e:
                    self._log(f"bad record from the simulation: {line[:80]!r} ({e})")

    def display(self, name: str = "oled") -> Any:
        """The simulated panel now: (height, width) bool array, a copy."""
        with self._lock:
            return self.view.displays[name].panel().copy()

    def frames(self) -> list[Any]:
        with self._lock:
            return list(self.view.frames)

    # -- output -------------------------------------------------------------
    def _write(self, data: bytes) -> None:
        self._out += data
        if len(self._out) > OUTPUT_QUEUE_MAX:
            del self._out[: len(self._out) - OUTPUT_QUEUE_MAX]

    def _flush_output(self) -> None:
        while self._out:
            budget = self._out_line.take(len(self._out))
            if budget == 0:
                return
            try:
                n = os.write(self.master, self._out[:budget])
            except BlockingIOError:
                return
            except OSError:
                self._out.clear()
                return
            del self._out[:n]

    def _pump_child_output(self) -> None:
        if self.child is not None:
            data = self.child.read_output()
            if data:
                self._write(cooked(data))

    # -- the REPL generator ---------------------------------------------------
    def _advance(self, value: Any = None) -> None:
        """Resume the REPL with `value`, then keep feeding it while it can go on."""
        self._want = self._gen.send(value)
        while True:
            if self._want == READ and self._in:
                c = self._in.pop(0)
                self._want = self._gen.send(c)
            elif self._want == RESTART:
                self._restart_child()
                return  # resumed when the process says it is ready
            else:
                return

    def _start_exec(self, req: Exec) -> None:
        assert self.child is not None
        self._forwarded = 0
        self._exec_seq = self.child.send(req.op, req.source)
        if self._in:
            # Typed ahead: it sits in the board's stdin buffer, readable by the program
            # (a Ctrl-C among it is data: it arrived before the program armed the interrupt).
            self.child.feed_stdin(bytes(self._in))
            self._forwarded += len(self._in)
            self._in.clear()

    def _restart_child(self) -> None:
        if self.child is not None:
            self.child.close()
        self.child = Child(self.root, self.heap, self.flash, self.support)
        self.boots += 1
        self._exec_seq = 0  # the runner's "ready" status carries seq 0

    def _hard_reset(self, why: str) -> None:
        self.crashes += 1
        self._log(f"hard reset: {why}")
        now = time.monotonic()
        if now - self._last_crash < CRASH_LOOP_S:
            time.sleep(CRASH_LOOP_S)  # a boot.py that crashes every boot: loop as a board does, slowly
        self._last_crash = now
        self.repl.mode = "friendly"
        self._gen = self.repl.board_main()
        self._advance()

    def _on_status(self, st: Status) -> None:
        if st.kind == "R":
            self._advance()  # RESTART answered: boot.py comes next
            self._maybe_start_exec()
            return
        if st.seq == self._drain_seq and st.kind in ("D", "E"):
            self._drain_seq = 0
            if st.kind == "D":
                self._in[0:0] = st.data  # unread stdin goes back in front of newer input
            self._finish_exec()
            return
        if st.seq != self._exec_seq:
            return  # an answer to an interrupted, already settled command
        self._exec_seq = 0
        self._pending_status = st
        if self._forwarded and self.child is not None:
            self._drain_seq = self.child.send("d")
            return
        self._finish_exec()

    def _finish_exec(self) -> None:
        st = self._pending_status
        self._pending_status = None
        self._advance(st)
        self._maybe_start_exec()

    def _maybe_start_exec(self) -> None:
        if isinstance(self._want, Exec) and not self._exec_seq and not self._drain_seq:
            self._start_exec(self._want)

    @property
    def running(self) -> bool:
        """True while program code (not the REPL) has the CPU."""
        return isinstance(self._want, Exec)

    # -- input ----------------------------------------------------------------
    def _on_input(self, data: bytes) -> None:
        if self.repl.paste_active:
            data = self._paste_flow_control(data)
        if self.running and self.child is not None and not self._drain_seq:
            for b in data:
                if b == 3:
                    now = time.monotonic()
                    if now - self._last_interrupt >= INTERRUPT_GAP_S:
                        self._last_interrupt = now
                        self.child.interrupt()
                else:
                    self.child.feed_stdin(bytes([b]))
                    self._forwarded += 1
            return
        self._in += data
        if self._want == READ:
            self._advance(self._in.pop(0))
            self._maybe_start_exec()

    def _paste_flow_control(self, data: bytes) -> bytes:
        """Raw paste: bytes beyond the granted windows overflow a board's stdin buffer.

        Bytes that arrive together count as arriving before the board consumes any of
        them (a USB packet, a UART burst); a Ctrl-C or Ctrl-D ends the paste, and what
        follows it is ordinary input again."""
        kept = bytearray()
        dropped = 0
        for i, b in enumerate(data):
            if b in (3, 4):
                kept += data[i:]
                break
            if self.repl.paste_received < self.repl.paste_granted:
                self.repl.paste_received += 1
                kept.append(b)
            else:
                dropped += 1
        if dropped:
            self._log(f"raw-paste flow control violated: {dropped} bytes lost (stdin buffer full)")
        return bytes(kept)

    # -- the loop ---------------------------------------------------------------
    def start(self) -> None:
        self._advance()  # first boot: RESTART

    def step(self, timeout: float) -> None:
        """One pass of the event loop: wait up to `timeout` seconds for anything."""
        rlist = [self._wake_r]
        for line in (self._in_line, self._out_line):
            line.baud = self.baud
        if self._in_line.ready():
            rlist.append(self.master)
        else:
            timeout = min(timeout, self._in_line.wait())
        if self._bus_r is not None:
            rlist.append(self._bus_r)
        if self.child is not None:
            rlist += [self.child.stdout_fd, self.child.status_fd]
        wlist = []
        if self._out:
            if self._out_line.ready():
                wlist.append(self.master)
            else:
                timeout = min(timeout, self._out_line.wait())
        try:
            readable, writable, _ = select.select(rlist, wlist, [], timeout)
        except InterruptedError:
            return
        if self.master in readable:
            try:
                data = os.read(self.master, self._in_line.take(4096))
            except (BlockingIOError, OSError):
                data = b""
            if data:
                self._on_input(data)
        if self._bus_r is not None and self._bus_r in readable:
            self._pump_records()
        if self.child is not None and (self.child.stdout_fd in readable or self.child.status_fd in readable):
            self._pump_child_output()
            statuses, closed = self.child.read_statuses()
            for st in statuses:
                self._pump_child_output()
                self._on_status(st)
            if closed and self.child is not None:
                self._on_child_gone()
        self._flush_output()

    def _on_child_gone(self) -> None:
        assert self.child is not None
        self._pump_child_output()
        try:
            code = self.child.proc.wait(timeout=5)
        except Exception:  # noqa: BLE001 - still alive after closing its pipe: end it
            self.child.proc.kill()
            code = self.child.proc.wait()
        if self._want == RESTART:
            # It died before it was ready: the board support itself is broken.
            out = bytes(self._out).decode(errors="replace")
            raise EmulatorError(f"MicroPython exited with status {code} while booting:\n{out}")
        self._hard_reset(f"MicroPython process exited with status {code}")

    def serve_forever(self) -> None:
        self.start()
        while not self._stopped:
            self.step(0.5)

    def stop(self) -> None:
        self._stopped = True
        try:
            os.write(self._wake_w, b"!")
        except OSError:
            pass

    def close(self) -> None:
        if self.child is not None:
            self.child.close()
            self.child = None
        self._pump_records()
        for fd in (self.master, self._slave, self._bus_r, self._bus_w, self._wake_r, self._wake_w):
            if fd is None:
                continue
            try:
                os.close(fd)
            except OSError:
                pass
        if self._records is not None:
            self._records.close()
        shutil.rmtree(self._tmp, ignore_errors=True)
        if self.link is not None:
            try:
                Path(self.link).unlink()
            except OSError:
                pass
