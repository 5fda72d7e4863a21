"""The blob commands: inspect, export-c, pack, as a user meets them."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import pytest
from conftest import SHIPPED_BLOB
from pipdream import plan
from pipdream.blob import format as F
from pipdream.blob import load, pack

PIPDREAM = [sys.executable, "-m", "pipdream"]


def pipdream(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([*PIPDREAM, *args], capture_output=True, text=True, cwd=cwd)


def test_inspect_reports_layers_totals_and_both_plans(repo_root):
    r = pipdream("inspect", str(repo_root / "models" / "default.blob"), "--json")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    model = load((repo_root / "models" / "default.blob").read_bytes())
    assert report["params"] == model.params and report["macs"] == model.macs
    assert [la["kind"] for la in report["layers"]] == ["fc", "convT", "convT", "convT", "convT",
                                                       "conv", "conv"]
    for name, kind in plan.KINDS.items():
        assert report["plans"][name]["scratch_bytes"] == plan.plan(model, kind).scratch_bytes
    assert report["mirror_fold"] == bool(model.flags & F.FLAG_MIRROR_FOLD)


def test_inspect_says_when_a_blob_draws_half_its_angles_mirrored(tmp_path, shipped_blob):
    model = load(shipped_blob)
    for flags, said in ((0, False), (F.FLAG_MIRROR_FOLD, True)):
        path = tmp_path / f"f{flags}.blob"
        path.write_bytes(pack(dataclasses.replace(model, flags=flags)))
        r = pipdream("inspect", str(path))
        assert r.returncode == 0, r.stderr
        assert ("mirror fold" in r.stdout.splitlines()[0]) == said


def test_the_shipped_blob_streams_in_1536_bytes_with_at_most_25_percent_more_macs(shipped_model):
    full, stream = plan.plan(shipped_model, plan.FULL), plan.plan(shipped_model, plan.STREAM)
    assert stream.scratch_bytes <= 1536
    assert stream.macs <= 1.25 * full.macs


@pytest.mark.parametrize("cut", [0, 10, 100, -1])
def test_inspect_on_a_truncated_blob_exits_2_with_one_clear_line(tmp_path, shipped_blob, cut):
    bad = tmp_path / "bad.blob"
    bad.write_bytes(shipped_blob[:cut] if cut >= 0 else shipped_blob[:-1])
    r = pipdream("inspect", str(bad))
    assert r.returncode == 2
    assert r.stderr.startswith("pipdream inspect: error: header")
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_inspect_on_a_missing_file_says_so(tmp_path):
    r = pipdream("inspect", str(tmp_path / "nope.blob"))
    assert r.returncode == 2 and "blob not found" in r.stderr


def test_export_c_compiles_for_the_host_and_the_avr_and_holds_the_same_bytes(tmp_path,
                                                                             shipped_blob):
    blob = tmp_path / "m.blob"
    blob.write_bytes(shipped_blob)
    header = tmp_path / "m.h"
    assert pipdream("export-c", str(blob), "--out", str(header)).returncode == 0
    main = tmp_path / "dump.c"
    main.write_text('#include <stdio.h>\n#include "m.h"\nint main(void) {\n'
                    "  fwrite(pd_model_blob, 1, PD_MODEL_BLOB_SIZE, stdout); return 0; }\n")
    subprocess.run(["cc", "-std=c99", "-Wall", "-Werror", "-o", str(tmp_path / "dump"), str(main)],
                   check=True)
    out = subprocess.run([str(tmp_path / "dump")], capture_output=True, check=True).stdout
    assert out == shipped_blob
    avr = subprocess.run(["avr-gcc", "-mmcu=atmega328p", "-std=c99", "-c", "-o",
                          str(tmp_path / "m.o"), "-x", "c", str(header)], capture_output=True)
    assert avr.returncode == 0, avr.stderr
    sections = subprocess.run(["avr-objdump", "-h", str(tmp_path / "m.o")], capture_output=True,
                              text=True).stdout
    assert ".progmem" in sections  # in flash, not copied to the 2 KB of SRAM


def test_export_c_refuses_a_bad_blob_and_a_bad_name(tmp_path, shipped_blob):
    bad = tmp_path / "bad.blob"
    bad.write_bytes(shipped_blob[:-4])
    assert pipdream("export-c", str(bad), "--out", str(tmp_path / "x.h")).returncode == 2
    good = tmp_path / "good.blob"
    good.write_bytes(shipped_blob)
    r = pipdream("export-c", str(good), "--out", str(tmp_path / "x.h"), "--name", "9lives")
    assert r.returncode == 2 and "C identifier" in r.stderr


def test_pack_refuses_a_missing_checkpoint(tmp_path):
    r = pipdream("pack", "--checkpoint", str(tmp_path / "q.pt"), "--out", str(tmp_path / "m.blob"))
    assert r.returncode == 2 and "checkpoint not found" in r.stderr
    assert not (tmp_path / "m.blob").exists()


def test_generate_from_the_blob_gives_the_same_bytes_on_the_reference_and_the_natmod(tmp_path,
                                                                                     repo_root):
    import numpy as np

    blob = str(repo_root / "models" / "default.blob")
    outs = {}
    for backend in ("reference", "natmod"):
        out = tmp_path / f"{backend}.npy"
        r = pipdream("generate", "--blob", blob, "--backend", backend, "--face", "1,4,6",
                     "--angle=-90,12.5,89", "--out", str(out))
        assert r.returncode == 0, r.stderr
        outs[backend] = np.load(out)
    assert outs["reference"].shape == (3, 32, 32)
    np.testing.assert_array_equal(outs["reference"], outs["natmod"])


def test_generate_refuses_a_backend_without_a_blob(tmp_path):
    r = pipdream("generate", "--backend", "natmod", "--face", "1", "--angle", "0",
                 "--out", str(tmp_path / "x.npy"))
    assert r.returncode == 2 and "--backend needs --blob" in r.stderr


@pytest.mark.parametrize("args, message", [
    (["--epochs", "0"], "--epochs must be 1..1000, got 0"),
    (["--checkpoint", "nope.pt"], "checkpoint not found: nope.pt"),
])
def test_quantize_refuses_bad_arguments_with_one_line(tmp_path, args, message):
    r = pipdream("quantize", *args, "--out", str(tmp_path / "q.pt"), cwd=tmp_path)
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "q.pt").exists()


def test_pack_writes_the_blob_and_the_metrics_of_both_models_with_every_judge(tmp_path):
    """pack --evaluate: the blob's figures and the float model's, accuracy and legibility alike,
    so a re-packed model keeps every figure the shipped metrics files carry."""
    out = tmp_path / "m.blob"
    r = pipdream("pack", "--out", str(out), "--evaluate", "60")
    assert r.returncode == 0, r.stderr
    assert out.read_bytes() == SHIPPED_BLOB.read_bytes()  # packed from the shipped QAT checkpoint
    metrics = json.loads((tmp_path / "m_metrics.json").read_text())
    for key in ("accuracy", "accuracy_1bit", "legible", "legible_1bit"):
        assert 0 <= metrics[key] <= 1 and 0 <= metrics[f"float_{key}"] <= 1, key
    assert set(metrics["float_legible_by_face"]) == {str(f) for f in range(1, 7)}
