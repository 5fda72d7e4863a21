"""On an emulated RP2040 (the npm package rp2040js, Cortex-M0+ core), the kernels
and both executors, built with the armv6m natmod's compiler and flags into a
bare-metal image (bench/rp2040/), draw exactly what reference.py computes:
the tuned build (asm inner loops, what the armv6m natmod runs) and the
portable C build, on the shipped blob, on other weights of the default
architecture and on random models of other shapes. Cycle counts are the
benchmark's business (bench/rp2040_bench.py), not these tests'."""

from __future__ import annotations

import importlib.util
import json
import subprocess

import numpy as np
import pytest
from conftest import ROOT, SHIPPED_BLOB, default_arch_model
from pipdream.blob import pack
from pipdream.blob.synthetic import random_model

_spec = importlib.util.spec_from_file_location("rp2040_bench", ROOT / "bench" / "rp2040_bench.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)

FACES_AND_ANGLES = [(1, -127), (2, -64), (3, 0), (4, 1), (5, 64), (6, 127)]


def build(tmp_path_factory, name: str, blob: bytes):
    d = tmp_path_factory.mktemp(name)
    (d / "m.blob").write_bytes(blob)
    return bench.build(d / "m.blob", d / "build"), blob


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    if not SHIPPED_BLOB.exists():
        pytest.skip("no shipped blob yet")
    return build(tmp_path_factory, "shipped", SHIPPED_BLOB.read_bytes())


def assert_matches_reference(out: dict, blob: bytes, n_pairs: int) -> None:
    """Every pair drawn by the full plan, the streaming plan and the full plan split between
    the two cores (each core's share run on its own), each byte for byte the reference."""
    assert len(out["runs"]) == 3 * n_pairs
    assert {r["plan"] for r in out["runs"]} == {"full", "stream", "split2"}
    bad = bench.mismatches(out, blob)
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("impl", ["tuned", "portable"])
def test_both_builds_draw_the_reference_image_of_every_face(shipped, impl):
    build_dir, blob = shipped
    pairs = FACES_AND_ANGLES if impl == "tuned" else FACES_AND_ANGLES[::3]
    out = bench.run_image(build_dir / impl / "bench.bin", pairs)
    assert_matches_reference(out, blob, len(pairs))


def test_the_layer_build_draws_the_same_and_times_every_layer(shipped):
    """The harness-only build that brackets every kernel call: same bytes, and
    every layer is called (once in the full plan, per row when streaming)."""
    build_dir, blob = shipped
    out = bench.run_image(build_dir / "tuned" / "bench-layers.bin", FACES_AND_ANGLES[:1])
    assert_matches_reference(out, blob, 1)
    n_layers = out["model"]["n_layers"]
    runs = {r["plan"]: r for r in out["runs"]}
    full, stream, split = runs["full"], runs["stream"], runs["split2"]
    assert sorted(split["parts"]) == sorted(["begin", *map(str, range(n_layers))])
    assert all(len(p) == 2 and min(p) > 0 for p in split["parts"].values())  # both cores timed
    assert full["calls"] == [1] * n_layers
    assert all(c >= 1 for c in stream["calls"]) and sum(stream["calls"]) > n_layers
    assert all(c > 0 for c in full["layers"]) and sum(full["layers"]) < full["cycles"]


def test_the_tuned_build_runs_the_asm_loops_and_the_portable_one_does_not(shipped):
    """A profile of one full-plan image: instructions inside pd_m0_jobs (the asm)
    in the tuned image only, so the bytes above really come from the asm."""
    build_dir, _ = shipped

    def asm_cycles(impl: str) -> float:
        image = build_dir / impl / "bench.bin"
        syms = subprocess.run(["arm-none-eabi-nm", "-n", str(image.with_suffix(".elf"))], capture_output=True,
                              text=True, check=True).stdout.split("\n")
        addrs = [(int(s.split()[0], 16), s.split()[-1]) for s in syms if len(s.split()) == 3]
        start = [a for a, n in addrs if n == "pd_m0_jobs"]
        if not start:
            return 0.0
        end = min(a for a, n in addrs if a > start[0] and not n.startswith("pd_m0_jobs"))
        cmd = ["node", "run.mjs", "--image", str(image), "--pairs", "3:40", "--profile", "full"]
        res = subprocess.run(cmd, capture_output=True, text=True, cwd=bench.BENCH_DIR, check=True)
        return sum(c for a, c in json.loads(res.stdout)["profile"] if start[0] <= a < end)

    assert asm_cycles("tuned") > 0
    assert asm_cycles("portable") == 0


def test_other_weights_of_the_default_architecture(tmp_path_factory):
    """Other biases, multipliers and shifts than the shipped model's (every
    requantization branch is taken somewhere)."""
    build_dir, blob = build(tmp_path_factory, "default_arch", pack(default_arch_model(21)))
    out = bench.run_image(build_dir / "tuned" / "bench.bin", FACES_AND_ANGLES[1::2])
    assert_matches_reference(out, blob, 3)


@pytest.mark.parametrize("seed", [3, 8])
def test_random_models_of_other_shapes(tmp_path_factory, seed):
    """Channel counts the asm does not take (the C loops of the same kernels run
    on the chip then), odd output channels, strides, paddings, kernel sizes."""
    rng = np.random.default_rng(seed)
    model = random_model(rng, n_layers=6)
    build_dir, blob = build(tmp_path_factory, f"random{seed}", pack(model))
    faces, codes = rng.integers(1, model.n_faces + 1, 2), rng.integers(-127, 128, 2)
    pairs = [(int(f), int(a)) for f, a in zip(faces, codes)]
    out = bench.run_image(build_dir / "tuned" / "bench.bin", pairs)
    assert_matches_reference(out, blob, len(pairs))


def test_the_runner_rejects_bad_arguments_with_a_clear_message(shipped):
    build_dir, _ = shipped

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["node", "run.mjs", *args], capture_output=True, text=True, cwd=bench.BENCH_DIR)

    bad_pairs = run("--image", str(build_dir / "tuned" / "bench.bin"), "--pairs", "3,40")
    assert bad_pairs.returncode == 1 and 'run.mjs: --pairs: "3" is not face:angle_code' in bad_pairs.stderr
    missing = run("--pairs", "1:0")
    assert missing.returncode == 1 and "run.mjs: --image is required" in missing.stderr
    not_an_image = run("--image", str(ROOT / "models" / "default.blob"))
    assert not_an_image.returncode == 1 and "no bench_header at 0x20000000" in not_an_image.stderr


def test_a_face_out_of_range_is_reported_not_drawn(shipped):
    """The image passes the executor's status through: face 7 of a 6-face die."""
    build_dir, _ = shipped
    with pytest.raises(RuntimeError, match="status"):
        bench.run_image(build_dir / "tuned" / "bench.bin", [(7, 0)])
