"""pipdream.files: outputs checked before the work and written atomically; inputs recognised."""

from __future__ import annotations

import pytest
import torch
from conftest import SHIPPED_BLOB
from pipdream import evalnet, files, paths, quantize, train
from pipdream.cli import main


def test_an_interrupted_write_leaves_the_old_file_and_no_temporary(tmp_path):
    out = tmp_path / "model.pt"
    out.write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt), files.atomic(out) as tmp:
        tmp.write_bytes(b"half")
        raise KeyboardInterrupt
    assert out.read_bytes() == b"old" and sorted(p.name for p in tmp_path.iterdir()) == ["model.pt"]
    files.write_bytes(out, b"new")
    assert out.read_bytes() == b"new" and oct(out.stat().st_mode & 0o777) != "0o600"


def test_a_checkpoint_save_cut_midway_never_shows_under_the_real_name(tmp_path, monkeypatch):
    out = tmp_path / "decoder.pt"
    model = train.load_decoder(paths.DECODER_PT)
    train.save_checkpoint(out, model, {})
    whole = out.read_bytes()

    def torn_save(obj, path):
        with open(path, "wb") as f:
            f.write(b"PK\x03\x04 half a checkpoint")
        raise KeyboardInterrupt  # Ctrl-C in the middle of torch.save

    monkeypatch.setattr(torch, "save", torn_save)
    with pytest.raises(KeyboardInterrupt):
        train.save_checkpoint(out, model, {"steps": 1})
    assert out.read_bytes() == whole and [p.name for p in tmp_path.iterdir()] == ["decoder.pt"]


def refuse(*_a, **_k):
    raise AssertionError("the work started before the output was checked")


@pytest.mark.parametrize("argv, patch", [
    (["train", "--out", "/proc/x.pt"], (train, "train")),
    (["train", "--out", "x.pt", "--plots", "/proc/p"], (train, "train")),
    (["train-eval", "--out", "/proc/x.pt"], (evalnet, "train_evalnet")),
    (["quantize", "--out", "/nonexistent-root-dir/../proc/q.pt"], (quantize, "qat_finetune")),
    (["quantize", "--out", "{tmp}/file/q.pt"], (quantize, "qat_finetune")),
    (["pack", "--out", "/proc/m.blob"], (quantize, "to_qmodel")),
    (["pack", "--out", "m.blob", "--evaluate", "10", "--float-checkpoint", "{blob}"],
     (quantize, "to_qmodel")),
])
def test_outputs_and_inputs_are_checked_before_the_work(argv, patch, tmp_path, monkeypatch, capsys):
    (tmp_path / "file").write_text("x")
    (tmp_path / "m.blob").write_bytes(SHIPPED_BLOB.read_bytes())
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(*patch, refuse)
    argv = [a.format(tmp=tmp_path, blob=tmp_path / "m.blob") for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err


def test_sniff_names_what_a_file_is(tmp_path):
    import numpy as np

    cases = {"a.blob": SHIPPED_BLOB.read_bytes(), "t.txt": "héllo\n".encode(), "e": b"",
             "d.bin": bytes([0xE9, 0xFF, 0])}
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
    np.save(tmp_path / "a.npy", np.zeros(3))
    np.savez(tmp_path / "a.npz", x=np.zeros(3))
    torch.save({"x": 1}, tmp_path / "c.pt")
    got = {p.name: files.sniff(p) for p in tmp_path.iterdir()}
    assert got == {"a.blob": "blob", "t.txt": "text", "e": "empty", "d.bin": "data", "a.npy": "npy",
                   "a.npz": "npz", "c.pt": "torch"}
    assert files.sniff(paths.DECODER_PT) == "torch"


def test_a_build_folder_is_held_by_one_process_at_a_time(tmp_path):
    """files.locked: while one make runs in natmod/build, a second process waits for it."""
    import subprocess
    import sys

    probe = ("import fcntl, sys\nf = open(sys.argv[1], 'a')\ntry:\n"
             "    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)\nexcept BlockingIOError:\n    sys.exit(3)\n")
    lock = tmp_path / "build" / ".lock"
    with files.locked(tmp_path / "build"):
        assert subprocess.run([sys.executable, "-c", probe, str(lock)]).returncode == 3
    assert subprocess.run([sys.executable, "-c", probe, str(lock)]).returncode == 0
