"""pipdream deploy onto an emulated Pico (the real mpremote transport, the real app and natmod):
a fresh board gets everything and a button press puts the reference die on its display; a second
deploy copies nothing; a wrong architecture is refused clearly and a wrong natmod on the board
leaves the app on viper; full filesystems and missing or silent ports get one clear message."""

from __future__ import annotations

import os
import re
import sys

import numpy as np
import pytest
from pipdream import deploy as D
from pipdream import reference
from pipdream.blob import load
from pipdream.cli import CommandError
from pipdream.deploy import transport
from pipdream.mpremote_board import running_emulator
from support.emulator import mpremote

sys.path.insert(0, str(D.DEVICE))
import pdview  # noqa: E402 - the app's own layout of the display

X64 = "x64"  # the emulated board runs the unix port: its native code is x64


@pytest.fixture(scope="module")
def pico() -> D.BoardModule:
    return D.board_module("pico")


def rolled(output: str) -> tuple[int, int]:
    """(face, angle code) of the app's "roll 1" line."""
    m = re.search(r"pipdream: roll 1: (\d) \(angle (-?\d+),", output)
    assert m, output
    return int(m.group(1)), int(m.group(2))


def test_a_fresh_board_gets_the_app_and_a_press_shows_the_reference_die(tmp_path, pico):
    logs: list[str] = []
    with running_emulator(tmp_path / "fs", "pico", presses=[1500]) as emu:
        report = D.deploy(pico, emu.path, arch=X64, watch=60, until="pipdream: roll 1:", log=logs.append)
        planned = {it.name for it in D.plan_for(pico, X64, use_natmod=True, model=D.DEFAULT_MODEL,
                                                compile_py=True, log=logs.append)}
        assert set(report.copied) == planned and not report.unchanged
        assert sorted(p.name for p in emu.root.iterdir()) == sorted(planned)  # no temporary files left
        assert "backend natmod" in report.output and "Traceback" not in report.output
        face, angle = rolled(report.output)
        want = reference.run(load(D.DEFAULT_MODEL.read_bytes()), np.array([face]), np.array([angle]))[0]
        (slot,) = pdview.layout(128, 64, 1)
        shown = emu.display()[slot.y : slot.y + slot.size, slot.x : slot.x + slot.size]
        assert np.array_equal(shown, np.kron(want >= 128, np.ones((2, 2), bool)))

        again = D.deploy(pico, emu.path, arch=X64, watch=5, until="display found", log=logs.append)
        assert again.copied == [] and sorted(again.unchanged) == sorted(planned)
        assert "nothing to copy: the board already has every file" in logs


def test_a_board_of_another_architecture_is_refused_before_anything_is_copied(tmp_path, pico):
    with running_emulator(tmp_path / "fs", "pico") as emu:
        with pytest.raises(CommandError) as e:
            D.deploy(pico, emu.path, log=lambda s: None)  # the Pico module's natmod is armv6m
        msg = str(e.value)
        assert "reports mpy v6.3 x64 (sys.implementation._mpy = 2822)" in msg
        assert "natmod is armv6m" in msg and "--arch x64" in msg and "--no-natmod" in msg
        assert list(emu.root.iterdir()) == []


def test_a_wrong_architecture_natmod_on_the_board_leaves_the_app_on_viper(tmp_path, pico):
    armv6m, why = D.ensure_natmod("armv6m", log=lambda s: None)
    if armv6m is None:
        pytest.skip(why)
    with running_emulator(tmp_path / "fs", "pico") as emu:
        D.deploy(pico, emu.path, arch=X64, use_natmod=False, watch=30, until="display found",
                 log=lambda s: None)
        mpremote(emu.path, "cp", str(armv6m), ":pipnet.mpy")  # by hand, as a user might
        start = "import pdapp; app = pdapp.App(pdapp.find_board()); app.start()"
        out = mpremote(emu.path, "exec", start).stdout
    assert "pipdream: backend natmod unavailable (ValueError: incompatible .mpy arch" in out
    assert "backend viper" in out and "Traceback" not in out


def test_no_natmod_removes_one_left_on_the_board(tmp_path, pico):
    with running_emulator(tmp_path / "fs", "pico") as emu:
        (emu.root / "pipnet.mpy").write_bytes(b"M\x06\x0f\x1f" + bytes(100))
        report = D.deploy(pico, emu.path, arch=X64, use_natmod=False, watch=30, until="display found",
                          log=lambda s: None)
        assert "pipnet.mpy" in report.removed and not (emu.root / "pipnet.mpy").exists()
        assert "backend viper" in report.output


def test_a_full_filesystem_is_reported_before_anything_is_written(tmp_path, pico):
    with running_emulator(tmp_path / "fs", "pico", flash=48 * 1024) as emu:
        with pytest.raises(CommandError, match=r"the board's filesystem is full: \d+ KiB free, copying "):
            D.deploy(pico, emu.path, arch=X64, log=lambda s: None)
        assert list(emu.root.iterdir()) == []


def test_running_out_of_flash_mid_copy_is_clear_and_leaves_no_partial_file(tmp_path, pico, monkeypatch):
    # as if something else filled the flash meanwhile
    monkeypatch.setattr(transport, "_check_space", lambda *a: None)
    with running_emulator(tmp_path / "fs", "pico", flash=48 * 1024) as emu:
        with pytest.raises(CommandError, match="filesystem is full: .* does not fit"):
            D.deploy(pico, emu.path, arch=X64, log=lambda s: None)
        assert not [p for p in emu.root.iterdir() if p.name.endswith(D.TMP_SUFFIX)]


def test_a_port_that_does_not_exist_says_no_board(tmp_path, pico):
    with pytest.raises(CommandError, match="no board on .*nope: the port does not exist"):
        D.deploy(pico, str(tmp_path / "nope"), log=lambda s: None)


def test_a_port_where_nothing_answers_says_it_is_not_a_micropython_board(pico, monkeypatch):
    monkeypatch.setattr(transport, "CONTACT_TIMEOUT_S", 1.0)
    master, slave = os.openpty()  # a serial port with nothing behind it
    try:
        with pytest.raises(CommandError, match="does not answer like a MicroPython board"):
            D.deploy(pico, os.ttyname(slave), log=lambda s: None)
    finally:
        os.close(master)
        os.close(slave)
