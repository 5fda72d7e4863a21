"""pd_plan (C) and pipdream.plan (Python) agree on every figure, and the
streaming plan meets its targets on the default architecture: at most 1,536
bytes of scratch and at most 25% more MACs than the full-frame plan."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SHIPPED_BLOB, default_arch_model
from pipdream.blob import load, pack
from pipdream.blob.model import tap_inputs
from pipdream.blob.synthetic import random_model
from pipdream.ckernels import PLAN_FULL, PLAN_STREAM
from pipdream.plan import FULL, STREAM, STREAM_TARGET_BYTES, hull, plan
from support.kernels import kernels


@pytest.fixture(scope="module")
def lib():
    return kernels()


def assert_plans_agree(lib, blob: bytes, target_bytes: int = STREAM_TARGET_BYTES) -> None:
    model = load(blob)
    for c_kind, py_kind in ((PLAN_FULL, FULL), (PLAN_STREAM, STREAM)):
        info, layers = lib.plan(blob, c_kind)
        py = plan(model, py_kind, target_bytes)
        assert (info.scratch_bytes, info.macs, info.strips, info.strip_w, info.acc_rows) == (
            py.scratch_bytes, py.macs, py.strips, py.strip_w, py.acc_rows)
        for j, (c, p) in enumerate(zip(layers, py.layers)):
            assert (c.bytes, c.macs, c.ring_rows, c.win_w, c.rows) == (
                p.bytes, p.macs, p.ring_rows, p.win_w, p.rows), f"layer {j}"


def test_c_and_python_plans_agree_on_the_default_architecture(lib):
    assert_plans_agree(lib, pack(default_arch_model(21)))


@pytest.mark.skipif(not SHIPPED_BLOB.exists(), reason="no shipped blob yet")
def test_c_and_python_plans_agree_on_the_shipped_blob(lib):
    assert_plans_agree(lib, SHIPPED_BLOB.read_bytes())


def test_c_and_python_plans_agree_on_random_models(lib):
    rng = np.random.default_rng(22)
    for _ in range(150):
        assert_plans_agree(lib, pack(random_model(rng, n_layers=int(rng.integers(1, 9)))))


@pytest.mark.parametrize("target", [64, 400])
def test_c_and_python_plans_agree_with_other_scratch_targets(target):
    lib = kernels(stream_target_bytes=target)
    rng = np.random.default_rng(target)
    for _ in range(60):
        assert_plans_agree(lib, pack(random_model(rng, n_layers=int(rng.integers(2, 8)))), target)
    assert_plans_agree(lib, pack(default_arch_model(21)), target)


def test_the_closed_form_hull_is_exactly_the_taps():
    """plan.hull (and pd_hull) give the input range of blob.model.tap_inputs
    (conv and convT; every output of a dense layer reads its one input pixel)."""
    rng = np.random.default_rng(23)
    for _ in range(300):
        model = random_model(rng, n_layers=4)
        for layer in model.layers[1:]:
            for axis in (1, 2):
                n_in, n_out = layer.in_shape[axis], layer.out_shape[axis]
                for o in range(n_out):
                    idx = [i for _, i in tap_inputs(layer.kind, o, n_in, layer.kernel, layer.stride,
                                                    layer.padding)]
                    h = hull(layer, o, n_in)
                    assert (h is None) == (not idx)
                    if idx:
                        assert list(range(h[0], h[1] + 1)) == sorted(idx)


def test_full_plan_macs_are_the_model_macs():
    rng = np.random.default_rng(24)
    for _ in range(50):
        model = random_model(rng)
        assert plan(model, FULL).macs == model.macs


def test_streaming_meets_its_targets_on_the_default_architecture():
    model = default_arch_model(25)
    full, stream = plan(model, FULL), plan(model, STREAM)
    assert full.scratch_bytes == 16384  # the 16 KB the original design estimated
    assert stream.scratch_bytes <= STREAM_TARGET_BYTES == 1536
    assert stream.macs <= 1.25 * full.macs


def test_a_model_that_fits_in_one_strip_recomputes_nothing():
    rng = np.random.default_rng(26)
    for _ in range(50):
        model = random_model(rng)
        stream = plan(model, STREAM)
        if stream.strips == 1:
            assert stream.macs <= plan(model, FULL).macs
