"""A deploy cut in the middle of the model copy (the host process killed while the bytes
stream over a 115200-baud line): the board keeps and boots the previous model, and running
deploy again repairs it. A model torn in place (as a plain `mpremote cp` cut midway leaves it)
is reported clearly by the app, which keeps rolling, and deploy repairs that too."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import default_arch_model
from pipdream import deploy as D
from pipdream.blob import pack
from pipdream.mpremote_board import running_emulator
from support.emulator import Port

NEW = D.TMP_SUFFIX
DEPLOY = """
import sys
from pathlib import Path
from pipdream import deploy as D
D.deploy(D.board_module("pico"), sys.argv[1], arch="x64", model=Path(sys.argv[2]), watch=0, log=print)
"""


def boot_output(path: str, until: bytes = b"display found") -> str:
    """Soft-reset the board from its friendly REPL (main.py runs) and return what it says."""
    port = Port(path)
    try:
        port.write(b"\r\x03\x02")
        port.settle(b'Type "help()" for more information.\r\n>>> ')
        port.write(b"\x04")
        return port.expect(until, timeout=30).decode(errors="replace")
    finally:
        port.close()


@pytest.fixture
def new_model(tmp_path: Path) -> Path:
    path = tmp_path / "new.blob"
    path.write_bytes(pack(default_arch_model(7)))
    assert path.read_bytes() != D.DEFAULT_MODEL.read_bytes()
    return path


def test_a_cut_model_copy_leaves_the_previous_model_and_deploy_repairs_it(tmp_path, new_model):
    old = D.DEFAULT_MODEL.read_bytes()
    new = new_model.read_bytes()
    pico = D.board_module("pico")
    with running_emulator(tmp_path / "fs", "pico") as emu:
        D.deploy(pico, emu.path, arch="x64", watch=30, until="display found", log=lambda s: None)
        model, partial = emu.root / "model.blob", emu.root / ("model.blob" + NEW)
        emu.baud = 115200  # a UART: the copy takes a few seconds
        proc = subprocess.Popen([sys.executable, "-c", DEPLOY, emu.path, str(new_model)],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        t0 = time.monotonic()
        while not (partial.exists() and 0 < partial.stat().st_size < len(new)):
            assert proc.poll() is None and time.monotonic() - t0 < 60, proc.stdout.read()
            time.sleep(0.005)
        proc.kill()  # the cable is pulled mid-copy
        proc.wait()
        emu.baud = None
        assert model.read_bytes() == old  # untouched: the new bytes only ever went to the temporary name
        assert 0 < partial.stat().st_size < len(new)

        said = boot_output(emu.path)
        assert f"pipdream: model model.blob ({len(old)} bytes), backend natmod" in said
        assert "Traceback" not in said

        report = D.deploy(pico, emu.path, arch="x64", model=new_model, watch=30, until="display found",
                          log=lambda s: None)
        assert report.copied == ["model.blob"] and report.removed == ["model.blob" + NEW]
        assert model.read_bytes() == new and not partial.exists()
        assert f"pipdream: model model.blob ({len(new)} bytes), backend natmod" in report.output


def test_a_model_torn_in_place_is_reported_and_deploy_repairs_it(tmp_path):
    whole = D.DEFAULT_MODEL.read_bytes()
    pico = D.board_module("pico")
    with running_emulator(tmp_path / "fs", "pico") as emu:
        D.deploy(pico, emu.path, arch="x64", watch=30, until="display found", log=lambda s: None)
        (emu.root / "model.blob").write_bytes(whole[: len(whole) // 3])  # what a cut `mpremote cp` leaves

        said = boot_output(emu.path)
        assert "pipdream: no model: model.blob is corrupt: " in said and "Traceback" not in said

        report = D.deploy(pico, emu.path, arch="x64", watch=30, until="display found", log=lambda s: None)
        assert report.copied == ["model.blob"]
        assert (emu.root / "model.blob").read_bytes() == whole
        assert "backend natmod" in report.output
