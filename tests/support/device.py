"""Running device/ code under the real MicroPython unix runtime (and CPython), for the device tests.

The helpers write a script to a temporary file, put device/ (and any extra
folders) first on its path and run it with `.venv/bin/micropython` or the
current CPython. Scripts print JSON on their last line; run_json parses it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pipdream import micropython

ROOT = Path(__file__).resolve().parents[2]
DEVICE = ROOT / "device"
BOARDS = ROOT / "boards"
SHIPPED_BLOB = ROOT / "models" / "default.blob"
RUNTIMES = ("micropython", "cpython")


# A board with no display and a button never pressed (the board interface of docs/device.md,
# the real pdclock and os.urandom): the app logic alone, on MicroPython or CPython. Needs
# `import os, pdclock` before it.
HEADLESS_BOARD = """
class Pin:
    def value(self):
        return 1

class Board:
    name = "headless"
    entropy = "os.urandom"
    clock = pdclock
    random_bytes = staticmethod(os.urandom)
    button_pin = Pin()
    button_active = 0
    display_info = "none"
    def attach_button_irq(self, handler):
        return False
    def open_display(self):
        raise OSError(19)
"""


def micropython_exe() -> str:
    return micropython.tool("micropython")


def run_device_script(script: str, runtime: str = "micropython", extra_path: tuple = (),
                      heapsize: str | None = None, timeout: float = 300, cwd: Path | None = None,
                      expect_ok: bool = True, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run `script` with device/ first on sys.path; fail with its stderr unless it exits 0."""
    paths = [str(p) for p in (*extra_path, DEVICE)]
    prologue = f"import sys\nsys.path[:0] = {paths!r}\n"
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(prologue + script)
        name = f.name
    try:
        if runtime == "micropython":
            cmd = [micropython_exe()] + (["-X", "heapsize=" + heapsize] if heapsize else []) + [name]
        elif runtime == "cpython":
            cmd = [sys.executable, name]
        else:
            raise ValueError(runtime)
        env = dict(os.environ, MICROPYPATH="", **(env or {}))  # no user library folders
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=cwd, env=env)
    finally:
        os.unlink(name)
    if expect_ok:
        assert proc.returncode == 0, f"{runtime} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def run_json(script: str, runtime: str = "micropython", **kw):
    """Run a script whose last stdout line is JSON; return it parsed."""
    out = run_device_script(script, runtime, **kw).stdout.strip().splitlines()
    return json.loads(out[-1])


def run_with_natmod(script: str, **kw) -> Any:
    """run_json on MicroPython with the x64 pipnet natmod on the path, `json` imported and the
    shipped blob's bytes in `blob`."""
    prologue = f"import json\nblob = open({str(SHIPPED_BLOB)!r}, 'rb').read()\n"
    return run_json(prologue + script, extra_path=(micropython.natmod_mpy("x64").parent,), **kw)


def shipped_images(pairs: Iterable[tuple[int, int]]) -> list[bytes]:
    """The reference's images of the shipped blob for (face, angle code) pairs."""
    import numpy as np
    from pipdream import reference
    from pipdream.blob import load

    faces, codes = zip(*pairs)
    return [img.tobytes() for img in reference.run(load(SHIPPED_BLOB.read_bytes()), np.array(faces),
                                                   np.array(codes))]


def raised(statement: str) -> str:
    """Script lines that run `statement` and print, as JSON, what it raised: the exception's type
    and message ("ValueError: ...") or "no error". The script must import json."""
    return (f"try:\n    {statement}\n    print(json.dumps('no error'))\n"
            "except Exception as e:\n    print(json.dumps(type(e).__name__ + ': ' + str(e)))\n")
