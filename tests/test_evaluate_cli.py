"""The CLI: help everywhere, evaluate's JSON fields, generate's outputs, clear errors on bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from pipdream import cli
from pipdream.cli import main

FIELDS = {"params", "macs", "mse", "accuracy", "accuracy_1bit"}


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    """main(argv) -> (exit status, stdout, stderr); argparse's SystemExit counts as a status."""
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


def test_pipdream_help_lists_every_subcommand_with_a_description():
    out = subprocess.run([sys.executable, "-m", "pipdream", "--help"], capture_output=True,
                         text=True, check=True).stdout
    for name in ("dataset", "train-eval", "train", "evaluate", "generate", "sweep"):
        assert f"    {name} " in out


@pytest.mark.parametrize("info", cli.command_infos(), ids=lambda i: i.name)
def test_every_subcommand_has_help_with_examples(capsys, info):
    code, out, _ = run_cli(capsys, info.name, "--help")
    assert code == 0 and "usage: pipdream " + info.name in out and "example" in out


def test_evaluate_json_has_the_fields(capsys):
    code, out, _ = run_cli(capsys, "evaluate", "--n", "60", "--seed", "1", "--json")
    result = json.loads(out)
    assert code == 0 and FIELDS <= result.keys()
    assert result["params"] == 4017 and result["n"] == 60
    assert 0 <= result["mse"] < 0.1 and 0 <= result["accuracy_1bit"] <= 1


def test_evaluate_runs_a_blob_through_the_integer_reference(capsys, tmp_path, default_arch_blob):
    blob = tmp_path / "random.blob"
    blob.write_bytes(default_arch_blob)  # random weights: only the plumbing is checked
    code, out, _ = run_cli(capsys, "evaluate", "--blob", str(blob), "--n", "12", "--json")
    result = json.loads(out)
    assert code == 0 and result["source"] == "blob" and result["params"] == 4017


def test_generate_writes_npy_and_png(capsys, tmp_path):
    npy, png = tmp_path / "d.npy", tmp_path / "d.png"
    assert run_cli(capsys, "generate", "--face", "1,6", "--angle", "0,-45", "--out", str(npy))[0] == 0
    images = np.load(npy)
    assert images.shape == (2, 32, 32) and images.dtype == np.uint8
    assert run_cli(capsys, "generate", "--face", "3", "--angle=-90,0,45", "--out", str(png))[0] == 0
    assert png.stat().st_size > 0


@pytest.mark.parametrize(
    "argv, message",
    [
        (["generate", "--face", "1,2", "--angle", "0,10,20", "--out", "x.npy"], "2 faces but 3 angles"),
        (["generate", "--face", "7", "--angle", "0", "--out", "x.npy"], "face must be 1..6"),
        (["generate", "--face", "1", "--angle", "90", "--out", "x.npy"], "angle must be in"),
        (["generate", "--face", "one", "--angle", "0", "--out", "x.npy"], "comma-separated"),
        (["generate", "--face", "1", "--angle", "0", "--out", "x.jpg"], ".png or .npy"),
        (["evaluate", "--blob", "/nonexistent.blob"], "blob not found"),
        (["evaluate", "--checkpoint", "/nonexistent.pt"], "not found"),
        (["evaluate", "--n", "0"], "n must be"),
        (["train", "--dims", "8,8", "--steps", "1"], "four positive integers"),
        (["dataset", "--n", "0", "--out", "x.npz"], "n must be"),
        (["dataset", "--n", "3", "--out", "x.txt"], ".npz"),
    ],
)
def test_bad_arguments_give_one_clear_line_and_status_2(capsys, tmp_path, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(capsys, *argv)
    assert code == 2 and message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_argparse_errors_also_exit_2(capsys):
    code, _, err = run_cli(capsys, "evaluate", "--checkpoint", "a.pt", "--blob", "b.blob")
    assert code == 2 and "not allowed with" in err
