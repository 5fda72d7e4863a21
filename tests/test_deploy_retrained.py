"""From a retraining's folder to a board: deploy --model DIR/model.blob and demo --model."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
from pipdream import deploy as D
from pipdream import reference
from pipdream.blob import load
from pipdream.cli import main
from pipdream.mpremote_board import running_emulator
from support.retrained import retrained_blob

sys.path.insert(0, str(D.DEVICE))
import pdview  # noqa: E402 - the app's own layout of the display
from test_deploy_emulated import X64, rolled  # noqa: E402


@pytest.fixture(scope="module")
def blob(tmp_path_factory):
    return retrained_blob(tmp_path_factory.mktemp("retrained") / "run")


def test_deploy_puts_the_retrained_blob_on_the_board_and_a_press_draws_it(tmp_path, blob):
    pico = D.board_module("pico")
    with running_emulator(tmp_path / "fs", "pico", presses=[1500]) as emu:
        report = D.deploy(pico, emu.path, arch=X64, model=blob, watch=60, until="pipdream: roll 1:",
                          log=lambda line: None)
        assert (emu.root / "model.blob").read_bytes() == blob.read_bytes()
        face, angle = rolled(report.output)
        want = reference.run(load(blob.read_bytes()), np.array([face]), np.array([angle]))[0]
        (slot,) = pdview.layout(128, 64, 1)
        shown = emu.display()[slot.y : slot.y + slot.size, slot.x : slot.x + slot.size]
        assert np.array_equal(shown, np.kron(want >= 128, np.ones((2, 2), bool)))


def test_demo_rolls_the_retrained_blob(tmp_path, blob):
    assert main(["demo", "--rolls", "1", "--seed", "5", "--model", str(blob), "--out", str(tmp_path),
                 "--show", "none"]) == 0
    (roll,) = json.loads((tmp_path / "rolls.json").read_text())["rolls"]
    assert roll["backend"] == "natmod" and (tmp_path / roll["png"]).exists()
