"""Faults around a command rather than in its arguments (issue 22): Ctrl-C and SIGTERM, a full
disk, an interrupted `pack --evaluate`, and counts too large to print. Each is one line on stderr
and leaves what the user had."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, SHIPPED_BLOB
from pipdream import cli, evaluate, files, paths
from pipdream.blob import QModel, pack
from pipdream.blob import format as F
from pipdream.blob.synthetic import random_layer
from pipdream.cli import IntRange, main
from pipdream.commands import pack as pack_cmd

FAST_BLOB = ROOT / "models" / "fast.blob"


def _valid_argv(name: str) -> list[str]:
    """The least argv that parses for a subcommand: required options and positionals filled in."""
    p = cli.build_parser([name])
    sub = next(a for a in p._actions if isinstance(a, argparse._SubParsersAction)).choices[name]
    argv = [name]
    for a in sub._actions:
        if not (a.required or not a.option_strings) or a.dest == "help":
            continue
        value = ("pico" if a.dest == "board" else (a.choices and list(a.choices)[0])
                 or (str(a.type.lo) if isinstance(a.type, IntRange) else "1"))
        argv += [a.option_strings[0], str(value)] if a.option_strings else [str(value)]
    for g in sub._mutually_exclusive_groups:  # deploy's --port / --stage, flash's --board / --chip
        if g.required:
            a = g._group_actions[-1]
            argv += [a.option_strings[0], sorted(a.choices)[0] if a.choices else "out"]
    return argv


@pytest.mark.parametrize("name", sorted(i.name for i in cli.command_infos()))
def test_ctrl_c_in_any_subcommand_is_one_line_and_exit_130(name, monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)
    module = importlib.import_module(next(i.module for i in cli.command_infos() if i.name == name))

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(module, "run", interrupted, raising=False)
    assert main(_valid_argv(name)) == 130
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"pipdream {name}: interrupted"]


@pytest.fixture(autouse=True)
def ctrl_c_reaches_python():
    """Ctrl-C as a terminal delivers it, even when the suite itself runs where SIGINT is ignored
    (a background job of a non-interactive shell): Python then installs no KeyboardInterrupt."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


def _sigint_default() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # the child's Python installs KeyboardInterrupt


def _slow_generate(out: Path, tmp: Path) -> subprocess.Popen:
    """`pipdream generate` on the pure-Python backend (MicroPython: seconds per die), its
    temporary folders under tmp, so the test sees exactly the ones it made."""
    env = {**os.environ, "TMPDIR": str(tmp)}
    argv = [sys.executable, "-m", "pipdream", "generate", "--blob", str(SHIPPED_BLOB), "--backend", "python",
            "--face", "1,2,3", "--angle", "0", "--out", str(out)]
    return subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_sigint_default)


@pytest.mark.parametrize("sig, code, word", [(signal.SIGINT, 130, "interrupted"),
                                             (signal.SIGTERM, 143, "terminated")])
def test_a_signal_during_generate_keeps_the_output_and_leaves_no_temporary_folder(sig, code, word, tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    out = tmp_path / "dice.npy"
    out.write_bytes(b"the user's previous file")
    proc = _slow_generate(out, tmp)
    deadline = time.monotonic() + 120
    while not any(tmp.glob("pipdream-mpy-*")):  # MicroPython is running the model
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.05)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert err.strip().splitlines() == [f"pipdream generate: {word}"]
    assert out.read_bytes() == b"the user's previous file"
    assert list(tmp.iterdir()) == []


def test_a_full_disk_names_the_file_and_keeps_the_previous_one(tmp_path):
    """The file-size limit makes the kernel refuse the write (EFBIG) as a full disk would."""
    out = tmp_path / "dice.npy"
    out.write_bytes(b"previous")
    limit = 16 * 1024  # 64 dice are 64 KiB

    def small_files():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an error, not a killed process
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    proc = subprocess.run([sys.executable, "-m", "pipdream", "generate", "--blob", str(SHIPPED_BLOB),
                           "--face", "1", "--angle", ",".join(str(a) for a in range(64)), "--out", str(out)],
                          capture_output=True, text=True, preexec_fn=small_files, timeout=120)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"pipdream generate: error: cannot write {out}: "), lines
    assert out.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dice.npy"]


# ---- a blob and its metrics change together --------------------------------------------------------


@pytest.fixture
def packed(tmp_path, monkeypatch, capsys):
    """A blob and its metrics from `pack --evaluate 5`, in tmp_path."""
    monkeypatch.chdir(tmp_path)
    assert main(["pack", "--out", "m.blob", "--evaluate", "5"]) == 0
    capsys.readouterr()
    return tmp_path / "m.blob", tmp_path / "m_metrics.json"


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_the_metrics_carry_the_blobs_sha256_and_a_reader_refuses_another_blob(packed):
    blob, metrics = packed
    assert pack_cmd.read_metrics(blob)["blob_sha256"] == json.loads(metrics.read_text())["blob_sha256"]
    blob.write_bytes(FAST_BLOB.read_bytes())  # another valid blob under the same name
    with pytest.raises(ValueError, match="describes another blob"):
        pack_cmd.read_metrics(blob)


@pytest.mark.parametrize("model", ["default", "fast"])
def test_the_shipped_metrics_describe_the_shipped_blobs(model):
    assert pack_cmd.read_metrics(paths.MODELS / f"{model}.blob")["blob_bytes"] > 0


def test_pack_evaluate_interrupted_while_scoring_leaves_the_old_blob_and_metrics(packed, monkeypatch, capsys):
    blob, _ = packed
    before = _snapshot(blob.parent)
    real = evaluate.evaluate

    def ctrl_c_at_the_float_model(kind, *args, **kwargs):
        if kind == "checkpoint":  # the new blob is scored by now
            signal.raise_signal(signal.SIGINT)
        return real(kind, *args, **kwargs)

    monkeypatch.setattr(evaluate, "evaluate", ctrl_c_at_the_float_model)
    assert main(["pack", "--checkpoint", str(paths.MODELS / "fast_decoder_q.pt"), "--out", "m.blob",
                 "--evaluate", "5"]) == 130
    assert capsys.readouterr().err.strip() == "pipdream pack: interrupted"
    assert _snapshot(blob.parent) == before


def test_ctrl_c_between_the_two_renames_waits_until_both_are_done(packed, monkeypatch, capsys):
    blob, metrics = packed
    real = os.replace

    def ctrl_c_after_the_first(src, dst):
        real(src, dst)
        signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(files.os, "replace", ctrl_c_after_the_first)
    assert main(["pack", "--checkpoint", str(paths.MODELS / "fast_decoder_q.pt"), "--out", "m.blob",
                 "--evaluate", "5"]) == 130
    monkeypatch.undo()
    assert blob.read_bytes() == FAST_BLOB.read_bytes()  # the new blob, with its own metrics
    assert pack_cmd.read_metrics(blob)["blob_bytes"] == len(FAST_BLOB.read_bytes())


# ---- counts ----------------------------------------------------------------------------------------


def test_inspect_does_not_print_a_saturated_mac_count_as_real(tmp_path, capsys):
    """16 layers of 32 channels at 64x64 with 5x5 kernels: the streaming plan recomputes more than
    the 32-bit count the boards keep can hold."""
    rng = np.random.default_rng(0)
    u8 = F.DTYPE_UINT8
    layers = [random_layer(rng, F.KIND_FC, (7, 1, 1), (32, 8, 8), F.DTYPE_INT8)]
    for size in (8, 16, 32):
        layers.append(random_layer(rng, F.KIND_CONVT, (32, size, size), (32, 2 * size, 2 * size), u8,
                                   5, 2, 2, 1))
    layers += [random_layer(rng, F.KIND_CONV, (32, 64, 64), (32, 64, 64), u8, 5, 1, 2) for _ in range(11)]
    layers.append(random_layer(rng, F.KIND_CONV, (32, 64, 64), (1, 64, 64), u8, 5, 1, 2))
    heavy = tmp_path / "heavy.blob"
    heavy.write_bytes(pack(QModel(layers)))
    assert main(["inspect", str(heavy)]) == 0
    out = capsys.readouterr().out
    assert str(2**32 - 1) not in out
    assert "saturated" in out
