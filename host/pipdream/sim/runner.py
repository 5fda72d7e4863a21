"""Run code on the simulated board: the real MicroPython unix runtime with our stand-ins first.

    result = run_board(world, script=Path("main.py"), root=stage_dir)

starts `micropython` in `root` (the board's filesystem) with MICROPYPATH = the stand-ins
(`host/pipdream/sim/mpy`), then the root (like a board's '' entry) and `extra_path`, a heap the
size of the board's, the world in PIPDREAM_SIM_WORLD and a pipe for the record stream in
PIPDREAM_SIM_BUS. Records and console lines are handled as they arrive (callbacks), so a
caller can draw frames while the board runs.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pipdream import micropython
from pipdream.sim.bus import BoardView, Frame, Record
from pipdream.sim.world import World

MPY_DIR = Path(__file__).resolve().parent / "mpy"
# Heap our stand-ins use on the unix port (machine/time/os/simboard are in ROM on a board);
# added to the board's heap so the app gets what it would have. Measured by tests/test_sim_machine.py
# (about 65 KB with the Pico's DMA and I2C blocks, rp2hw, rp2 and the rp2 port's _thread; the
# rest is room for their fragments: a 60 KB raw paste needs one free block).
STANDIN_HEAP = 96 * 1024
END_GRACE_S = 5.0  # after the script's end, the app has this long to exit
# A board that sends nothing (no record, no beat, no console line) for this long is stuck: its
# clock stopped, or the app computes without ever reading it. simboard sends a beat every
# 250 ms of board time, and the slowest step we run (a pure-Python generate()) takes well
# under a second on a slow host.
STALL_S = 10.0


class SimError(RuntimeError):
    """The simulated board did not run to the end of its script."""


def micropython_binary() -> str:
    """The unix port (pipdream.micropython.tool); SimError when it is not installed."""
    try:
        return micropython.tool("micropython")
    except FileNotFoundError as e:
        raise SimError(str(e)) from None


@dataclass
class RunResult:
    view: BoardView
    console: list[str] = field(default_factory=list)
    returncode: int | None = None
    wall_s: float = 0.0

    @property
    def frames(self) -> list[Frame]:
        return self.view.frames

    @property
    def ended(self) -> str | None:
        return self.view.ended

    @property
    def end_kind(self) -> str | None:
        return self.view.end_kind

    def console_text(self) -> str:
        return "\n".join(self.console)


def run_board(world: World, *, script: Path | None = None, code: str | None = None,
              root: Path | None = None, extra_path: Sequence[Path] = (),
              on_frame: Callable[[Frame], None] | None = None,
              on_record: Callable[[Record], None] | None = None,
              on_console: Callable[[str], None] | None = None,
              timeout_s: float = 300.0, stall_s: float = STALL_S, heap_bytes: int | None = None,
              check: bool = True) -> RunResult:
    """Boot the simulated board and run `script` (a file in root) or `code` until the script ends.

    With check, raise SimError unless the board reached the world script's end step."""
    if (script is None) == (code is None):
        raise ValueError("give exactly one of script or code")
    heap = (heap_bytes or world.heap_bytes()) + STANDIN_HEAP
    cmd = [micropython_binary(), "-X", f"heapsize={heap}"]
    cmd += [str(script)] if script is not None else ["-c", code]
    env = {"MICROPYPATH": os.pathsep.join([str(MPY_DIR), "", *map(str, extra_path)])}
    return run_process(cmd, world, root=root, env=env, on_frame=on_frame, on_record=on_record,
                       on_console=on_console, timeout_s=timeout_s, stall_s=stall_s, check=check)


def run_circuitpython(world: World, root: Path, *, on_frame: Callable[[Frame], None] | None = None,
                      on_record: Callable[[Record], None] | None = None,
                      on_console: Callable[[str], None] | None = None,
                      timeout_s: float = 300.0, stall_s: float = STALL_S, check: bool = True) -> RunResult:
    """Run root/code.py on CPython with the CircuitPython stand-ins (pipdream.sim.circuitpython)."""
    from pipdream.sim.circuitpython import CPY_DIR

    env = {"PYTHONPATH": os.pathsep.join([str(CPY_DIR), str(root)]), "PYTHONUNBUFFERED": "1",
           "PYTHONDONTWRITEBYTECODE": "1"}
    return run_process([sys.executable, "code.py"], world, root=root, env=env, on_frame=on_frame,
                       on_record=on_record, on_console=on_console, timeout_s=timeout_s, stall_s=stall_s,
                       check=check)


def run_process(cmd: list[str], world: World, *, root: Path | None, env: dict[str, str],
                on_frame: Callable[[Frame], None] | None = None,
                on_record: Callable[[Record], None] | None = None,
                on_console: Callable[[str], None] | None = None,
                timeout_s: float = 300.0, stall_s: float = STALL_S, check: bool = True) -> RunResult:
    """Run a simulated board's process: world in, record stream and console out, as they come.

    SimError when it takes longer than timeout_s in all, or sends nothing for stall_s."""
    view = BoardView(world, on_frame=on_frame, on_record=on_record)
    result = RunResult(view)
    with tempfile.TemporaryDirectory(prefix="pipdream-sim-") as tmp:
        cwd = Path(root) if root is not None else Path(tmp)
        world_path = world.write(Path(tmp) / "world.json")
        rfd, wfd = os.pipe()
        full_env = dict(os.environ)
        full_env.update(env)
        full_env["PIPDREAM_SIM_WORLD"] = str(world_path)
        full_env["PIPDREAM_SIM_BUS"] = f"/dev/fd/{wfd}"
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, cwd=cwd, env=full_env, pass_fds=(wfd,), stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        os.close(wfd)
        events: queue.Queue[tuple[str, str | None]] = queue.Queue()

        def pump(stream, tag: str) -> None:
            with stream:
                for raw in stream:
                    events.put((tag, raw.decode("utf-8", "replace").rstrip("\n")))
            events.put((tag, None))

        threads = [threading.Thread(target=pump, args=(os.fdopen(rfd, "rb"), "bus"), daemon=True),
                   threading.Thread(target=pump, args=(proc.stdout, "con"), daemon=True)]
        for th in threads:
            th.start()
        open_streams = 2
        ended_at = None
        heard = t0  # when the board last sent something
        try:
            while open_streams:
                now = time.monotonic()
                left = timeout_s - (now - t0)
                if left <= 0:
                    raise SimError(f"the simulated board did not finish within {timeout_s:.0f} s; "
                                   f"{_where(view, world)}")
                if now - heard > stall_s and view.ended is None:
                    raise SimError(f"the simulated board made no progress for {stall_s:.0f} s; "
                                   f"{_where(view, world)}")
                if view.ended is not None:
                    ended_at = ended_at or time.monotonic()
                    if time.monotonic() - ended_at > END_GRACE_S:  # the app swallowed SystemExit
                        proc.kill()
                try:
                    tag, line = events.get(timeout=min(left, 1.0))
                except queue.Empty:
                    continue
                heard = time.monotonic()
                if line is None:
                    open_streams -= 1
                elif tag == "bus":
                    view.feed_line(line)
                else:
                    result.console.append(line)
                    if on_console is not None:
                        on_console(line)
            result.returncode = proc.wait(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        view.finish()
        result.wall_s = time.monotonic() - t0
    if view.host_clock_reads and world.clock == "virtual":
        raise SimError(f"the virtual clock read the host's clock {view.host_clock_reads} times")
    if check and view.end_kind != "script":
        tail = "\n".join(result.console[-15:])
        why = f"it ended: {view.ended}" if view.ended else f"exit status {result.returncode}"
        raise SimError(f"the simulated board stopped before its script ended ({why}); console:\n{tail}")
    return result


def _where(view: BoardView, world: World) -> str:
    """Where a stuck board is: its clock, the last thing it did, the script step it waits for."""
    i, n = view.step, len(world.script.steps)
    waiting = (f"waiting for script step {i + 1} of {n}: {world.script.describe(i)}" if i < n
               else "past the end of its script")
    last = view.last_record or "none"
    return f"its clock is at {view.last_t_us / 1e6:.3f} s, {waiting}; last record: {last}"
