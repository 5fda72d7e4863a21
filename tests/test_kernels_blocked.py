"""The register-blocked kernels (natmod/kernels/pd_blocked.c: jobs of 2 channels x
2 pixels), built for the host with their C inner loops (pd_conv_blocked ..., what
the x64 natmod runs), give the reference's bytes and do the MACs their plans state,
like the reference kernels: random conv/convT shapes with uint8 and int8 inputs,
rectangles from input windows, one input row at a time into accumulators, and
whole blobs through both executors, also cut into many strips. Every host library
links both variants: the executor tests use one whose config header dispatches to
the blocked kernels. Their asm inner loops (the _m0 variant) run in the RP2040
emulator (tests/test_rp2040_emulator.py)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SHIPPED_BLOB, default_arch_model
from pipdream import ckernels, reference
from pipdream.blob import format as F
from pipdream.blob import load, pack
from pipdream.blob.synthetic import random_layer, random_model
from pipdream.ckernels import PLAN_FULL, PLAN_STREAM
from support.kernels import kernels, random_pairs
from test_kernels_ops import (
    check_rectangles,
    check_row_accumulation,
    random_input,
    random_spatial,
    ref_op,
)


def tuned(stream_target_bytes: int | None = None) -> ckernels.Kernels:
    """The host library whose public kernel names and executor run the blocked variant."""
    if not ckernels.have_compiler():
        pytest.skip("no C compiler")
    return ckernels.load(stream_target_bytes=stream_target_bytes, kernels="blocked")


@pytest.fixture(scope="module")
def lib():
    return tuned()


def test_the_config_header_picks_the_variant_the_library_runs(lib):
    """pd_dispatch.h binds the public names to the variant of the build's config header:
    the blocked one here, the reference in the default library."""
    assert lib.kernels == "blocked"
    assert kernels().kernels == "ref"


@pytest.mark.parametrize("kind", [F.KIND_CONV, F.KIND_CONVT])
def test_both_variants_in_one_library_give_the_same_bytes(kind):
    """The default library links the reference and the blocked kernels side by side."""
    lib = kernels()
    rng = np.random.default_rng(50 + kind)
    for _ in range(60):
        layer = random_spatial(rng, kind, F.DTYPE_UINT8 if rng.random() < 0.7 else F.DTYPE_INT8)
        x = random_input(rng, layer)
        blocked, ref = (lib.run_layer(layer, x, variant=v) for v in ("blocked", "ref"))
        assert np.array_equal(blocked, ref), layer


@pytest.mark.parametrize("kind", [F.KIND_CONV, F.KIND_CONVT])
@pytest.mark.parametrize("in_type", [F.DTYPE_UINT8, F.DTYPE_INT8])
def test_random_shapes_match_the_reference(lib, kind, in_type):
    rng = np.random.default_rng(100 + 10 * kind + in_type)
    for _ in range(150):
        layer = random_spatial(rng, kind, in_type)
        x = random_input(rng, layer)
        assert np.array_equal(lib.run_layer(layer, x), ref_op(layer, x)), layer


@pytest.mark.parametrize("kind", [F.KIND_CONV, F.KIND_CONVT])
def test_eight_channel_layers_match_the_reference(lib, kind):
    """The shapes the asm loops take on the chip (8 input channels, stride 1 for
    a conv), at every size, kernel, stride and padding around them."""
    rng = np.random.default_rng(200 + kind)
    for _ in range(120):
        while True:
            layer = random_spatial(rng, kind)
            if kind == F.KIND_CONVT or layer.stride == 1:
                break
        ci, h, w = layer.in_shape
        co = int(rng.integers(1, 10))
        layer = random_layer(rng, kind, (8, h, w), (co,) + tuple(layer.out_shape[1:]), F.DTYPE_UINT8,
                             layer.kernel, layer.stride, layer.padding, layer.output_padding)
        x = random_input(rng, layer)
        x[rng.random(x.shape) < 0.5] = 0  # ReLU-like zeros: the asm skips those steps
        assert np.array_equal(lib.run_layer(layer, x), ref_op(layer, x)), layer


@pytest.mark.parametrize("kind", [F.KIND_CONV, F.KIND_CONVT])
def test_a_rectangle_from_an_input_window_matches_the_reference(lib, kind):
    check_rectangles(lib, kind, np.random.default_rng(300 + kind), 150)


@pytest.mark.parametrize("kind", [F.KIND_CONV, F.KIND_CONVT])
def test_accumulating_one_input_row_at_a_time_matches_the_reference(lib, kind):
    check_row_accumulation(lib, kind, np.random.default_rng(400 + kind), 100)


def assert_both_plans_match(lib, blob: bytes, faces, codes) -> None:
    want = reference.run(load(blob), np.asarray(faces), np.asarray(codes))
    parsed = lib.model(blob)
    for face, code, img in zip(faces, codes, want):
        assert np.array_equal(lib.generate_full(parsed, int(face), int(code)), img), ("full", face, code)
        streamed, _ = lib.generate_stream(parsed, int(face), int(code))
        assert np.array_equal(streamed, img), ("stream", face, code)


@pytest.mark.skipif(not SHIPPED_BLOB.exists(), reason="no shipped blob yet")
def test_the_shipped_blob_matches_on_every_face(lib):
    faces, codes = random_pairs(np.random.default_rng(5), 60)
    assert_both_plans_match(lib, SHIPPED_BLOB.read_bytes(), faces, codes)


def test_random_valid_blobs_match_and_do_their_planned_macs(lib):
    rng = np.random.default_rng(6)
    for i in range(40):
        model = default_arch_model(i) if i % 4 == 0 else random_model(rng, n_layers=int(rng.integers(1, 8)))
        blob = pack(model)
        faces, codes = random_pairs(rng, 2, load(blob).n_faces)
        assert_both_plans_match(lib, blob, faces, codes)
        for kind in (PLAN_FULL, PLAN_STREAM):
            planned = lib.plan(blob, kind)[0].macs
            lib.mac_count.value = 0
            if kind == PLAN_FULL:
                lib.generate_full(blob, int(faces[0]), int(codes[0]))
            else:
                lib.generate_stream(blob, int(faces[0]), int(codes[0]))
            assert lib.mac_count.value == planned, (i, kind)


def test_random_valid_blobs_cut_into_many_strips():
    lib = tuned(stream_target_bytes=64)
    rng = np.random.default_rng(7)
    for _ in range(30):
        blob = pack(random_model(rng, n_layers=int(rng.integers(2, 8))))
        faces, codes = random_pairs(rng, 2)
        assert_both_plans_match(lib, blob, faces, codes)
