"""Every `pipdream` subcommand times every kind of bad input that applies to it: a missing file,
a directory, an unwritable output, the wrong kind of file, an empty file, an out-of-range number.
Each row must exit non-zero with one line on stderr naming the problem, no traceback, and no file
left behind. Rows run in-process (main(argv)), each stopped by its check before any real work.

The subcommands come from the CLI's registry: a new one fails test_every_subcommand_has_rows
until it has rows here, and a new file or number option of any command fails
test_every_file_and_number_option_has_a_row until a row exercises it (or EXEMPT says why not).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from conftest import SHIPPED_BLOB
from pipdream import cli, paths
from pipdream.cli import FloatRange, IntRange, main

UNWRITABLE = "/proc/pipdream-test"  # no file can be created under /proc, even as root


def HDR(out: str, device_out: str, oled_out: str) -> list[str]:  # noqa: N802 - reads like DEPLOY
    return ["export-header", "--out", out, "--device-out", device_out, "--oled-out", oled_out]

GEN = ["generate", "--face", "1", "--angle", "0"]
DEPLOY = ["deploy", "--board", "pico"]
FLASH = ["flash", "--chip", "esp32", "--port", "/dev/null", "--dry-run"]

# command -> [(kind, argv, what stderr says)]; {name} is a file of the fixture folder (see inputs()).
ROWS: dict[str, list[tuple[str, list[str], str]]] = {
    "dataset": [
        ("range", ["dataset", "--n", "0", "--out", "x.npz"], "--n must be 1..500000, got 0"),
        ("range", ["dataset", "--n", "3", "--seed=-1", "--out", "x.npz"], "--seed must be 0..4294967295"),
        ("unwritable", ["dataset", "--n", "3", "--out", f"{UNWRITABLE}.npz"], "cannot write /proc/"),
        ("unwritable", ["dataset", "--n", "3", "--out", "{text}/x.npz"], "is a file, not a folder"),
        ("unwritable", ["dataset", "--n", "3", "--out", "x.npz", "--preview", f"{UNWRITABLE}.png"],
         "cannot write /proc/"),
        ("directory", ["dataset", "--n", "3", "--out", "{dir_npz}"], "is a directory"),
        ("wrong type", ["dataset", "--n", "3", "--out", "x.txt"], "--out must end in .npz"),
        ("range", ["dataset", "--n", "٣", "--out", "x.npz"], "--n must be an integer"),
        ("not a style", ["dataset", "--style", "{text}", "--preview", "p.png"], "is not valid TOML"),
    ],
    "train-eval": [
        ("range", ["train-eval", "--epochs", "0"], "--epochs must be 1..1000, got 0"),
        ("range", ["train-eval", "--n-train", "0"], "--n-train must be 1..500000"),
        ("range", ["train-eval", "--n-test", "100001"], "--n-test must be 1..100000"),
        ("range", ["train-eval", "--threads", "0"], "--threads must be 1..256"),
        ("range", ["train-eval", "--seed", "x"], "--seed must be an integer"),
        ("unwritable", ["train-eval", "--out", f"{UNWRITABLE}.pt"], "cannot write /proc/"),
        ("unwritable", ["train-eval", "--out", "e.pt", "--metrics", f"{UNWRITABLE}.json"],
         "cannot write /proc/"),
        ("directory", ["train-eval", "--out", "{dir_pt}"], "is a directory"),
        ("wrong type", ["train-eval", "--out", "e.txt"], "--out must end in .pt"),
        ("not a style", ["train-eval", "--style", "{missing}", "--out", "e.pt"], "cannot read style file"),
    ],
    "retrain": [
        ("not a style", ["retrain", "--style", "{text}", "--out", "r"], "is not valid TOML"),
        ("not a style", ["retrain", "--style", "{blob}", "--out", "r"], "cannot read style file"),
        ("directory", ["retrain", "--out", "{text}"], "is a file, not a folder"),
        ("unwritable", ["retrain", "--out", f"{UNWRITABLE}"], "cannot write /proc/"),
        ("range", ["retrain", "--seed=-1", "--out", "r"], "--seed must be 0..4294967295"),
        ("range", ["retrain", "--threads", "0", "--out", "r"], "--threads must be 1..256"),
    ],
    "train": [
        ("range", ["train", "--steps", "0", "--out", "t.pt"], "--steps must be 1..10000000"),
        ("range", ["train", "--lr", "0", "--out", "t.pt"], "--lr must be 1e-07..10, got 0"),
        ("range", ["train", "--lr", "nan", "--out", "t.pt"], "--lr must be a number in 1e-07..10, got 'nan'"),
        ("range", ["train", "--hires", "9", "--out", "t.pt"], "--hires must be 0..8"),
        ("range", ["train", "--batch", "0", "--out", "t.pt"], "--batch must be 1..65536"),
        ("range", ["train", "--n-train", "0", "--out", "t.pt"], "--n-train must be 1..500000"),
        ("range", ["train", "--eval-n=-1", "--out", "t.pt"], "--eval-n must be 0..100000"),
        ("range", ["train", "--threads", "999", "--out", "t.pt"], "--threads must be 1..256"),
        ("range", ["train", "--seed=-1", "--out", "t.pt"], "--seed must be"),
        ("range", ["train", "--legibility-weight=-1", "--out", "t.pt"], "--legibility-weight must be 0.."),
        ("range", ["train", "--margin", "0.6", "--out", "t.pt"], "--margin must be 0..0.5, got 0.6"),
        ("range", ["train", "--separator-weight=-1", "--out", "t.pt"], "--separator-weight must be 0.."),
        ("range", ["train", "--face-weights", "1,2", "--out", "t.pt"], "not all 0, got '1,2'"),
        ("range", ["train", "--face-weights", "0,0,0,0,0,0", "--out", "t.pt"], "six weights >= 0, not all 0"),
        ("missing", ["train", "--init", "{missing}", "--out", "t.pt"], "not found"),
        ("wrong type", ["train", "--init", "{blob}", "--out", "t.pt"], "is a pipdream model blob"),
        ("unwritable", ["train", "--steps", "1", "--out", f"{UNWRITABLE}.pt"], "cannot write /proc/"),
        ("unwritable", ["train", "--steps", "1", "--out", "t.pt", "--plots", f"{UNWRITABLE}"],
         "cannot write /proc/"),
        ("directory", ["train", "--steps", "1", "--out", "{dir_pt}"], "is a directory"),
        ("wrong type", ["train", "--steps", "1", "--out", "t.npz"], "--out must end in .pt"),
        ("same file", ["train", "--init", "{dcopy}", "--out", "{dcopy}"], "is the same file as --init"),
        ("range", ["train", "--face-weights", "nan,1,1,1,1,1", "--out", "t.pt"], "got 'nan,1,1,1,1,1'"),
        ("range", ["train", "--face-weights", "inf,1,1,1,1,1", "--out", "t.pt"], "got 'inf,1,1,1,1,1'"),
        ("range", ["train", "--face-weights", "1e309,1,1,1,1,1", "--out", "t.pt"], "got '1e309,"),
        ("range", ["train", "--face-weights", "1e308,1e308,1,1,1,1", "--out", "t.pt"], "each 0..1000000"),
        ("range", ["train", "--dims", "40,8,8,8", "--out", "t.pt"], "40 channels: the blob format holds"),
        ("range", ["train", "--dims", "8,8,8,999", "--out", "t.pt"], "999 channels: the blob format holds"),
        ("range", ["train", "--dims", "٣,8,8,8", "--out", "t.pt"], "--dims must be four integers"),
        ("mismatch", ["train", "--init", "{cfg_d1}", "--out", "t.pt"], "config d1=16"),
    ],
    "evaluate": [
        ("missing", ["evaluate", "--checkpoint", "{missing}"], "decoder checkpoint not found"),
        ("directory", ["evaluate", "--checkpoint", "{dir}"], "is a directory, not a decoder checkpoint"),
        ("empty", ["evaluate", "--checkpoint", "{empty}"], "is empty, not a decoder checkpoint"),
        ("wrong type", ["evaluate", "--checkpoint", "{text}"], "is a text file, not a decoder checkpoint"),
        ("wrong type", ["evaluate", "--checkpoint", "{blob}"], "is a pipdream model blob, not a decoder"),
        ("wrong type", ["evaluate", "--checkpoint", "{qckpt}"], "is a pipdream quantized checkpoint, not a "
                                                                "decoder checkpoint"),
        ("wrong type", ["evaluate", "--checkpoint", "{pickle}"], "is not a pipdream decoder checkpoint"),
        ("missing", ["evaluate", "--blob", "{missing}"], "model blob not found"),
        ("directory", ["evaluate", "--blob", "{dir}"], "is a directory, not a model blob"),
        ("empty", ["evaluate", "--blob", "{empty}"], "truncated: 0 bytes"),
        ("wrong type", ["evaluate", "--blob", "{ckpt}"], "is a torch checkpoint, not a model blob"),
        ("wrong type", ["evaluate", "--blob", "{torn}"], "truncated or torn copy"),
        ("wrong type", ["evaluate", "--eval-weights", "{blob}"], "is a pipdream model blob, not an eval CNN"),
        ("wrong type", ["evaluate", "--eval-weights", "{ckpt}"],
         "is a pipdream decoder checkpoint, not an eval"),
        ("directory", ["evaluate", "--eval-weights", "{dir}"], "is a directory, not an eval CNN checkpoint"),
        ("range", ["evaluate", "--n", "0"], "--n must be 1..100000, got 0"),
        ("range", ["evaluate", "--seed", "4294967296"], "--seed must be 0..4294967295"),
        ("mismatch", ["evaluate", "--checkpoint", "{cfg_d1}"], "config d1=16"),
        ("mismatch", ["evaluate", "--checkpoint", "{cfg_nokey}"], "layers.6.bias missing"),
        ("mismatch", ["evaluate", "--checkpoint", "{cfg_str}"], "its config is a str"),
        ("not the die", ["evaluate", "--blob", "{tiny_out}"], "draws 2x2 images, not the 32x32 die"),
        ("not the die", ["evaluate", "--blob", "{many_faces}"], "has 32 faces, not the 6 of a die"),
        ("range", ["evaluate", "--n", "٣"], "--n must be an integer"),
    ],
    "generate": [
        ("range", [*GEN, "--scale", "100000", "--out", "g.png"], "--scale must be 1..32, got 100000"),
        ("range", [*GEN, "--scale", "0", "--out", "g.png"], "--scale must be 1..32, got 0"),
        ("range", ["generate", "--face", "1", "--angle", ",".join(["0"] * 4097), "--out", "g.npy"],
         "at most 4096"),
        ("range", ["generate", "--face", "1", "--angle",
                   ",".join(["0"] * 64), "--scale", "32", "--out", "g.png"],
         "would be 8228x8340 pixels"),
        ("unwritable", [*GEN, "--out", f"{UNWRITABLE}.png"], "cannot write /proc/"),
        ("unwritable", [*GEN, "--out", "{text}/g.png"], "is a file, not a folder"),
        ("directory", [*GEN, "--out", "{dir_png}"], "is a directory"),
        ("wrong type", [*GEN, "--out", "g.jpg"], "--out must end in .png or .npy"),
        ("missing", [*GEN, "--checkpoint", "{missing}", "--out", "g.png"], "decoder checkpoint not found"),
        ("directory", [*GEN, "--checkpoint", "{dir}", "--out", "g.png"], "is a directory"),
        ("empty", [*GEN, "--checkpoint", "{empty}", "--out", "g.png"], "is empty"),
        ("wrong type", [*GEN, "--checkpoint", "{text}", "--out", "g.png"], "is a text file, not a decoder"),
        ("wrong type", [*GEN, "--checkpoint", "{blob}", "--out", "g.png"], "is a pipdream model blob"),
        ("missing", [*GEN, "--blob", "{missing}", "--out", "g.png"], "model blob not found"),
        ("directory", [*GEN, "--blob", "{dir}", "--out", "g.png"], "is a directory, not a model blob"),
        ("wrong type", [*GEN, "--blob", "{ckpt}", "--out", "g.png"],
         "is a torch checkpoint, not a model blob"),
        ("wrong type", [*GEN, "--blob", "{torn}", "--out", "g.png"], "truncated or torn copy"),
        ("same file", [*GEN, "--blob", "{npyblob}", "--out", "{npyblob}"], "is the same file as --blob"),
        ("same file", [*GEN, "--blob", "{npyblob}", "--out", "{npyhard}"], "is the same file as --blob"),
        ("mismatch", [*GEN, "--checkpoint", "{cfg_d1}", "--out", "g.png"], "config d1=16"),
        ("mismatch", [*GEN, "--checkpoint", "{cfg_nokey}", "--out", "g.png"], "layers.6.bias missing"),
        ("mismatch", [*GEN, "--checkpoint", "{cfg_str}", "--out", "g.png"], "its config is a str"),
        ("not the die", [*GEN, "--blob", "{big_out}", "--out", "g.png"], "draws 64x64 images"),
        ("range", ["generate", "--face", "٣", "--angle", "0", "--out", "g.png"], "--face must be"),
    ],
    "sweep": [
        ("unwritable", ["sweep", "--quick", "--out", f"{UNWRITABLE}"], "cannot write /proc/"),
        ("directory", ["sweep", "--quick", "--out", "{text}"], "is a file, not a folder"),
        ("range", ["sweep", "--quick", "--seed=-1"], "--seed must be"),
    ],
    "quantize": [
        ("missing", ["quantize", "--checkpoint", "{missing}", "--out", "q.pt"],
         "decoder checkpoint not found"),
        ("directory", ["quantize", "--checkpoint", "{dir}", "--out", "q.pt"], "is a directory"),
        ("empty", ["quantize", "--checkpoint", "{empty}", "--out", "q.pt"], "is empty"),
        ("wrong type", ["quantize", "--checkpoint", "{text}", "--out", "q.pt"], "is a text file"),
        ("wrong type", ["quantize", "--checkpoint", "{blob}", "--out", "q.pt"], "is a pipdream model blob"),
        ("wrong type", ["quantize", "--checkpoint", "{evalpt}", "--out", "q.pt"],
         "is a pipdream eval CNN checkpoint, not a decoder checkpoint"),
        ("wrong type", ["quantize", "--float-checkpoint", "{qckpt}", "--out", "q.pt"],
         "is a pipdream quantized checkpoint, not a decoder checkpoint"),
        ("unwritable", ["quantize", "--out", f"{UNWRITABLE}.pt"], "cannot write /proc/"),
        ("directory", ["quantize", "--out", "{dir_pt}"], "is a directory"),
        ("wrong type", ["quantize", "--out", "q.blob"], "--out must end in .pt"),
        ("range", ["quantize", "--epochs", "0", "--out", "q.pt"], "--epochs must be 1..1000, got 0"),
        ("range", ["quantize", "--steps-per-epoch", "0", "--out", "q.pt"], "--steps-per-epoch must be"),
        ("range", ["quantize", "--lr=-1", "--out", "q.pt"], "--lr must be"),
        ("range", ["quantize", "--legibility-weight", "nan", "--out", "q.pt"], "--legibility-weight must be"),
        ("range", ["quantize", "--margin=-0.1", "--out", "q.pt"], "--margin must be 0..0.5"),
        ("range", ["quantize", "--separator-weight", "nan", "--out", "q.pt"], "--separator-weight must be"),
        ("range", ["quantize", "--activity-weight=-1", "--out", "q.pt"], "--activity-weight must be 0.."),
        ("range", ["quantize", "--keep-best-every=-1", "--out", "q.pt"], "--keep-best-every must be 0.."),
        ("range", ["quantize", "--face-weights", "a,b", "--out", "q.pt"], "like 1,1,1,1,1,3, got 'a,b'"),
        ("range", ["quantize", "--threads", "0", "--out", "q.pt"], "--threads must be"),
        ("range", ["quantize", "--seed=-1", "--out", "q.pt"], "--seed must be"),
        ("same file", ["quantize", "--checkpoint", "{dcopy}", "--out", "{dcopy}"],
         "is the same file as --checkpoint"),
        ("same file", ["quantize", "--checkpoint", "{dcopy}", "--float-checkpoint", "{dcopy}",
                       "--out", "{dlink}"], "is the same file as --checkpoint"),
        ("range", ["quantize", "--face-weights", "nan,1,1,1,1,1", "--out", "q.pt"], "got 'nan,1,1,1,1,1'"),
        ("range", ["quantize", "--face-weights", "1,1,1,1,1,1e309", "--out", "q.pt"], "got '1,1,1,1,1,1e309"),
        ("range", ["quantize", "--checkpoint", "{wide}", "--out", "q.pt"],
         "40 channels: the blob format holds 1..32"),
        ("mismatch", ["quantize", "--checkpoint", "{cfg_d1}", "--out", "q.pt"], "config d1=16"),
        ("mismatch", ["quantize", "--checkpoint", "{cfg_str}", "--out", "q.pt"], "its config is a str"),
        ("mismatch", ["quantize", "--float-checkpoint", "{cfg_nokey}", "--out", "q.pt"],
         "layers.6.bias missing"),
    ],
    "pack": [
        ("missing", ["pack", "--checkpoint", "{missing}", "--out", "p.blob"],
         "quantized checkpoint not found"),
        ("directory", ["pack", "--checkpoint", "{dir}", "--out", "p.blob"], "is a directory"),
        ("empty", ["pack", "--checkpoint", "{empty}", "--out", "p.blob"], "is empty"),
        ("wrong type", ["pack", "--checkpoint", "{text}", "--out", "p.blob"], "is a text file"),
        ("wrong type", ["pack", "--checkpoint", "{blob}", "--out", "p.blob"], "is a pipdream model blob"),
        ("wrong type", ["pack", "--checkpoint", "{ckpt}", "--out", "p.blob"],
         "is a pipdream decoder checkpoint, not a quantized checkpoint"),
        ("unwritable", ["pack", "--checkpoint", "{qckpt}", "--out", f"{UNWRITABLE}.blob"],
         "cannot write /proc/"),
        ("directory", ["pack", "--checkpoint", "{qckpt}", "--out", "{dir}"], "is a directory"),
        ("range", ["pack", "--evaluate=-1", "--out", "p.blob"], "--evaluate must be 0..100000, got -1"),
        ("wrong type", ["pack", "--checkpoint", "{qckpt}", "--out", "p.blob", "--evaluate", "5",
                        "--float-checkpoint", "{text}"], "is a text file, not a decoder checkpoint"),
        ("same file", ["pack", "--checkpoint", "{qcopy}", "--out", "{qcopy}"], "same file as --checkpoint"),
        ("same file", ["pack", "--checkpoint", "{qcopy}", "--out", "{qlink}"], "same file as --checkpoint"),
        ("same file", ["pack", "--checkpoint", "{qcopy}", "--out", "{pm_blob}", "--evaluate", "5",
                       "--float-checkpoint", "{pm_metrics}"], "the same file as --float-checkpoint"),
        ("mismatch", ["pack", "--checkpoint", "{qcfg_d1}", "--out", "p.blob"], "config d1=16"),
        ("mismatch", ["pack", "--checkpoint", "{qcfg_str}", "--out", "p.blob"], "its config is a str"),
        ("mismatch", ["pack", "--checkpoint", "{qcopy}", "--out", "p.blob", "--evaluate", "5",
                      "--float-checkpoint", "{cfg_d1}"], "config d1=16"),
        ("range", ["pack", "--evaluate", "٣", "--out", "p.blob"], "--evaluate must be an integer"),
    ],
    "inspect": [
        ("missing", ["inspect", "{missing}"], "model blob not found"),
        ("directory", ["inspect", "{dir}"], "is a directory, not a model blob"),
        ("empty", ["inspect", "{empty}"], "truncated: 0 bytes"),
        ("wrong type", ["inspect", "{text}"], "is a text file, not a model blob"),
        ("wrong type", ["inspect", "{ckpt}"], "is a torch checkpoint, not a model blob"),
        ("wrong type", ["inspect", "{torn}"], "truncated or torn copy"),
    ],
    "export-c": [
        ("missing", ["export-c", "{missing}", "--out", "m.h"], "model blob not found"),
        ("directory", ["export-c", "{dir}", "--out", "m.h"], "is a directory"),
        ("empty", ["export-c", "{empty}", "--out", "m.h"], "truncated: 0 bytes"),
        ("wrong type", ["export-c", "{ckpt}", "--out", "m.h"], "is a torch checkpoint, not a model blob"),
        ("wrong type", ["export-c", "{torn}", "--out", "m.h"], "truncated or torn copy"),
        ("unwritable", ["export-c", "{blob}", "--out", f"{UNWRITABLE}.h"], "cannot write /proc/"),
        ("directory", ["export-c", "{blob}", "--out", "{dir}"], "is a directory"),
        ("same file", ["export-c", "{bcopy}", "--out", "{bcopy}"], "is the same file as the blob"),
        ("same file", ["export-c", "{bcopy}", "--out", "{blink}"], "is the same file as the blob"),
    ],
    "export-header": [  # every row names all three outputs: none lands in the repository
        ("unwritable", [*HDR(f"{UNWRITABLE}.h", "f.py", "o.h")],
         "cannot write /proc/"),
        ("unwritable", [*HDR("f.h", f"{UNWRITABLE}.py", "o.h")],
         "cannot write /proc/"),
        ("unwritable", [*HDR("f.h", "f.py", f"{UNWRITABLE}.h")],
         "cannot write /proc/"),
        ("directory", [*HDR("{dir}", "f.py", "o.h")],
         "is a directory"),
        ("directory", [*HDR("f.h", "f.py", "{dir}")],
         "is a directory"),
        ("same file", [*HDR("f.h", "f.py", "f.h")], "is the same file as --oled-out"),
    ],
    "deploy": [
        ("missing", [*DEPLOY, "--stage", "s", "--model", "{missing}"], "model blob not found"),
        ("directory", [*DEPLOY, "--stage", "s", "--model", "{dir}"], "is a directory, not a model blob"),
        ("empty", [*DEPLOY, "--stage", "s", "--model", "{empty}"], "truncated: 0 bytes"),
        ("wrong type", [*DEPLOY, "--stage", "s", "--model", "{text}"], "is a text file, not a model blob"),
        ("wrong type", [*DEPLOY, "--stage", "s", "--model", "{ckpt}"], "is a torch checkpoint"),
        ("wrong type", [*DEPLOY, "--stage", "s", "--model", "{torn}"], "not a model the board can load"),
        ("wrong type", [*DEPLOY, "--port", "{missing}", "--model", "{torn}"],
         "not a model the board can load"),
        ("unwritable", [*DEPLOY, "--stage", f"{UNWRITABLE}"], "cannot write /proc/"),
        ("directory", [*DEPLOY, "--stage", "{text}"], "is a file, not a folder"),
        ("wrong type", [*DEPLOY, "--stage", "s", "--arch", "bogus"], "invalid choice: 'bogus'"),
        ("range", [*DEPLOY, "--port", "{missing}", "--watch=-1"], "--watch must be 0..3600, got -1"),
    ],
    "emulate": [
        ("range", ["emulate", "--flash", "0"], "--flash must be 64..16384, got 0"),
        ("range", ["emulate", "--flash=-1"], "--flash must be 64..16384, got -1"),
        ("range", ["emulate", "--baud=-5"], "--baud must be 300..12000000, got -5"),
        ("range", ["emulate", "--press=-1"], "--press must be 0..86400000, got -1"),
        ("range", ["emulate", "--seed=-1"], "--seed must be"),
        ("directory", ["emulate", "--root", "{text}"], "is a file, not a folder"),
        ("unwritable", ["emulate", "--root", f"{UNWRITABLE}"], "cannot write /proc/"),
        ("unwritable", ["emulate", "--records", f"{UNWRITABLE}.log"], "cannot write /proc/"),
        ("directory", ["emulate", "--records", "{dir}"], "is a directory"),
        ("wrong type", ["emulate", "--link", "{text}"], "is not a symbolic link"),
    ],
    "flash": [
        ("missing", [*FLASH, "--firmware", "{missing}"], "firmware file"),
        ("directory", [*FLASH, "--firmware", "{dir}"], "is a directory"),
        ("empty", [*FLASH, "--firmware", "{empty}"], "is empty"),
        ("wrong type", [*FLASH, "--firmware", "{blob}"],
         "is a pipdream model blob, not a MicroPython firmware"),
        ("wrong type", [*FLASH, "--firmware", "{text}"], "is a text file, not a MicroPython firmware"),
        ("range", [*FLASH, "--firmware", "{blob}", "--baud", "0"], "--baud must be 9600..5000000, got 0"),
    ],
    "demo": [
        ("range", ["demo", "--rolls", "0"], "--rolls must be 1..1000, got 0"),
        ("range", ["demo", "--rolls", "1001"], "--rolls must be 1..1000"),
        ("range", ["demo", "--seed=-1"], "--seed must be"),
        ("missing", ["demo", "--model", "{missing}"], "model blob not found"),
        ("directory", ["demo", "--model", "{dir}"], "is a directory, not a model blob"),
        ("directory", ["demo", "--out", "{text}"], "is a file, not a folder"),
        ("unwritable", ["demo", "--out", f"{UNWRITABLE}"], "cannot write /proc/"),
        ("not the die", ["demo", "--model", "{tiny_out}"], "draws 2x2 images, not the 32x32 die"),
        ("not the die", ["demo", "--model", "{big_out}"], "draws 64x64 images, not the 32x32 die"),
    ],
    "avr-sim": [
        ("range", ["avr-sim", "--rolls", "0"], "--rolls must be 1..200"),
        ("range", ["avr-sim", "--face", "9", "--angle", "0"], "--face must be 1..6"),
        ("range", ["avr-sim", "--face", "1", "--angle", "128"], "--angle must be -127..127"),
        ("missing", ["avr-sim", "--blob", "{missing}"], "model blob not found"),
        ("directory", ["avr-sim", "--blob", "{dir}"], "is a directory, not a model blob"),
        ("empty", ["avr-sim", "--blob", "{empty}"], "truncated: 0 bytes"),
        ("wrong type", ["avr-sim", "--blob", "{text}"], "is a text file, not a model blob"),
        ("wrong type", ["avr-sim", "--blob", "{torn}"], "truncated or torn copy"),
        ("range", ["avr-sim", "--wdt-seed=-1"], "--wdt-seed must be 0..4294967295, got -1"),
        ("directory", ["avr-sim", "--out", "{text}"], "is a file, not a folder"),
        ("unwritable", ["avr-sim", "--out", f"{UNWRITABLE}"], "cannot write /proc/"),
        ("not the die", ["avr-sim", "--blob", "{tiny_out}"], "draws 2x2 images, not the 32x32 die"),
        ("not the die", ["avr-sim", "--blob", "{many_faces}"], "has 32 faces, not the 6 of a die"),
        ("not the die", ["avr-sim", "--blob", "{big_out}"], "draws 64x64 images, not the 32x32 die"),
        ("range", ["avr-sim", "--face", "٣", "--angle", "0"], "--face must be an integer"),
    ],
}

# (command, option) -> why no row exercises it.
EXEMPT = {
    ("emulate", "--link"): "covered: an existing file (the only bad --link) has a row",
}
# (command, option) -> why a number has no IntRange (so its range is not shown in --help).
NO_RANGE_TYPE: dict[tuple[str, str], str] = {}


def row_ids() -> list:
    return [pytest.param(name, kind, argv, want, id=f"{name}-{i}-{kind}")
            for name, rows in ROWS.items() for i, (kind, argv, want) in enumerate(rows)]


def _mismatched(src: Path, dst: Path, change) -> Path:
    """A copy of the checkpoint src whose dict `change` edits: config and weights disagree."""
    import torch

    ckpt = torch.load(src, weights_only=True)
    change(ckpt)
    torch.save(ckpt, dst)
    return dst


def _die_blobs(d: Path) -> dict[str, Path]:
    """Valid blobs that are not the 32x32 six-face die: a 2x2 output, 32 faces, a 64x64 output."""
    import numpy as np
    from pipdream.blob import QModel, pack
    from pipdream.blob import format as F
    from pipdream.blob.synthetic import random_layer

    rng = np.random.default_rng(0)
    fc = lambda n_in, out: random_layer(rng, F.KIND_FC, (n_in, 1, 1), out, F.DTYPE_INT8)  # noqa: E731
    up = random_layer(rng, F.KIND_CONVT, (2, 32, 32), (1, 64, 64), F.DTYPE_UINT8, 3, 2, 1, 1)
    models = {"tiny_out": QModel([fc(7, (1, 2, 2))]),
              "many_faces": QModel([fc(33, (1, 32, 32))], n_faces=32),
              "big_out": QModel([fc(7, (2, 32, 32)), up])}
    for name, model in models.items():
        (d / f"{name}.blob").write_bytes(pack(model))
    return {name: d / f"{name}.blob" for name in models}


def _own_copies(d: Path) -> dict[str, Path]:
    """Inputs a row may name as an output too (copies: the repository's own are never at risk),
    links to them, and checkpoints whose config and weights disagree."""
    import shutil

    import torch
    from pipdream.decoder import Decoder, DecoderConfig
    from pipdream.train import save_checkpoint

    own = {"dcopy": d / "d.pt", "qcopy": d / "q.pt", "bcopy": d / "b.blob", "npyblob": d / "x.npy",
           "pm_metrics": d / "p_metrics.json"}
    shutil.copy(paths.DECODER_PT, own["dcopy"])
    shutil.copy(paths.MODELS / "decoder_q.pt", own["qcopy"])
    shutil.copy(SHIPPED_BLOB, own["bcopy"])
    shutil.copy(SHIPPED_BLOB, own["npyblob"])
    shutil.copy(paths.DECODER_PT, own["pm_metrics"])  # the float model, named as pack's metrics
    for link, target in (("dlink", "dcopy"), ("qlink", "qcopy"), ("blink", "bcopy")):
        own[link] = d / f"{link}{own[target].suffix}"
        own[link].symlink_to(own[target])
    own["pm_blob"] = d / "p.blob"  # not there: its metrics file would be pm_metrics
    own["npyhard"] = d / "hard.npy"
    own["npyhard"].hardlink_to(own["npyblob"])

    def d1_16(c: dict) -> None:
        c["config"]["d1"] = 16

    def no_key(c: dict) -> None:
        del c["state_dict"]["layers.6.bias"]

    def str_cfg(c: dict) -> None:
        c["config"] = "8,8,8,8"

    q = paths.MODELS / "decoder_q.pt"
    own.update(cfg_d1=_mismatched(paths.DECODER_PT, d / "cfg_d1.pt", d1_16),
               cfg_nokey=_mismatched(paths.DECODER_PT, d / "cfg_nokey.pt", no_key),
               cfg_str=_mismatched(paths.DECODER_PT, d / "cfg_str.pt", str_cfg),
               qcfg_d1=_mismatched(q, d / "qcfg_d1.pt", d1_16),
               qcfg_str=_mismatched(q, d / "qcfg_str.pt", str_cfg))
    torch.manual_seed(0)
    save_checkpoint(d / "wide.pt", Decoder(DecoderConfig(d1=40)), {})
    own["wide"] = d / "wide.pt"
    own.update(_die_blobs(d))
    return own


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, str]:
    """The fixture folder's files, by the names the rows use."""
    import torch

    d = tmp_path_factory.mktemp("inputs")
    (d / "notes.txt").write_text("not a model\n")
    (d / "empty.bin").write_bytes(b"")
    (d / "m.blob").write_bytes(SHIPPED_BLOB.read_bytes())
    (d / "torn.blob").write_bytes(SHIPPED_BLOB.read_bytes()[:3000])
    torch.save({"hello": 1}, d / "foreign.pt")
    names = {"text": d / "notes.txt", "empty": d / "empty.bin", "blob": d / "m.blob", "torn": d / "torn.blob",
             "pickle": d / "foreign.pt", "missing": d / "missing.x", "dir": d / "folder",
             "ckpt": paths.DECODER_PT, "qckpt": paths.MODELS / "decoder_q.pt", "evalpt": paths.EVAL_PT}
    (d / "folder").mkdir()
    names.update(_own_copies(d))
    for suffix in ("pt", "png", "npz"):
        (d / f"dir.{suffix}").mkdir()
        names[f"dir_{suffix}"] = d / f"dir.{suffix}"
    return {k: str(v) for k, v in names.items()}


def tree(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*"))}


def test_every_subcommand_has_rows():
    names = {info.name for info in cli.command_infos()}
    assert names - ROWS.keys() == set(), "subcommands with no bad-input rows: add them to ROWS"
    assert ROWS.keys() - names == set(), "rows for subcommands that no longer exist"


def subparser(name: str) -> argparse.ArgumentParser:
    parser = cli.build_parser([name])
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices[name]


@pytest.mark.parametrize("name", sorted(ROWS))
def test_every_file_and_number_option_has_a_row(name):
    p = subparser(name)
    used = {a for _, argv, _ in ROWS[name] for a in argv}
    used |= {a.split("=")[0] for a in used}
    missing = []
    for action in p._actions:
        numeric = isinstance(action.type, IntRange) or action.type in (int, float)
        if not (action.type is Path or numeric):
            continue
        flag = action.option_strings[0] if action.option_strings else None
        if (name, flag) in EXEMPT:
            continue
        if flag is None:  # a positional file: some row must put a bad file there
            covered = any(argv[1].startswith("{") for _, argv, _ in ROWS[name] if len(argv) > 1)
        else:
            covered = flag in used
        if not covered:
            missing.append(flag or action.dest)
    assert not missing, f"pipdream {name}: no bad-input row for {missing}"


@pytest.mark.parametrize("name", sorted(ROWS))
def test_every_number_has_a_range_stated_in_help(name):
    p = subparser(name)
    text = p.format_help()
    for action in p._actions:
        flag = action.option_strings[0] if action.option_strings else action.dest
        if isinstance(action.type, (IntRange, FloatRange)):
            assert str(action.type) in " ".join(text.split()), f"pipdream {name} {flag}: range not in --help"
        elif action.type in (int, float):
            assert (name, flag) in NO_RANGE_TYPE, f"pipdream {name} {flag}: a number with no range (IntRange)"


@pytest.mark.parametrize("name, kind, argv, want", row_ids())
def test_bad_input_gives_one_line_and_leaves_nothing(name, kind, argv, want, inputs, tmp_path, monkeypatch,
                                                     capsys):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)  # relative outputs (and defaults like out/demo) land here
    before_inputs = tree(Path(inputs["text"]).parent)
    argv = [a.format(**inputs) if "{" in a else a for a in argv]
    code = main(argv)
    err = capsys.readouterr().err
    assert code not in (0, None), f"{kind}: exit {code}"
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"{kind}: stderr is not one line:\n{err}"
    assert lines[0].startswith(f"pipdream {name}: error: "), lines[0]
    assert want in lines[0], f"{kind}: {want!r} not in {lines[0]!r}"
    assert "Traceback" not in err
    assert tree(work) == {}, f"{kind}: left {sorted(tree(work))}"
    assert tree(Path(inputs["text"]).parent) == before_inputs, f"{kind}: changed the inputs folder"
