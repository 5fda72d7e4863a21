"""The Uno with a retraining's blob: `make -C boards/atmega328p MODEL=DIR/model.blob`, refused in
one line when the model does not fit, and the firmware it builds draws that blob's dice."""

from __future__ import annotations

import json
import subprocess

import pytest
import torch
from pipdream import avr, quantize
from pipdream.blob import pack
from pipdream.cli import main
from pipdream.decoder import Decoder, DecoderConfig
from support.retrained import retrained_blob


def make(model, build) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "-s", "-C", str(avr.BOARD), "elf", f"MODEL={model}", f"BUILD={build}"],
                          capture_output=True, text=True)


@pytest.fixture(scope="module")
def blob(tmp_path_factory):
    return retrained_blob(tmp_path_factory.mktemp("retrained") / "run")


def test_make_with_model_builds_the_retrained_blob_and_simavr_draws_its_dice(tmp_path, blob):
    done = make(blob, tmp_path / "build")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "build" / "model_blob.h").read_text().count("0x") >= blob.stat().st_size
    assert main(["avr-sim", "--blob", str(blob), "--rolls", "1", "--face", "6", "--angle", "30",
                 "--out", str(tmp_path / "sim")]) == 0
    (roll,) = json.loads((tmp_path / "sim" / "rolls.json").read_text())["rolls"]
    assert roll["display_matches_reference"] and roll["image_matches_reference"]


def test_a_model_too_big_for_the_flash_is_refused_in_one_line(tmp_path):
    torch.manual_seed(0)
    model = Decoder(DecoderConfig(16, 16, 16, 24, 2, fold=True))  # 19 KB of weights
    qat = quantize.QATDecoder(model, [0.02] * (len(model.specs) - 1) + [1 / 255])
    big = tmp_path / "big.blob"
    big.write_bytes(pack(quantize.to_qmodel(qat)))
    done = make(big, tmp_path / "build")
    assert done.returncode != 0
    ours = [line for line in done.stderr.splitlines() if not line.startswith("make")]
    assert len(ours) == 1 and ours[0].startswith(f"atmega328p: the model {big} ("), done.stderr
    assert "does not fit the ATmega328p" in ours[0] and "overflowed" not in done.stderr
