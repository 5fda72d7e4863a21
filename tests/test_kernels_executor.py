"""The C executor, both plans, produces reference.run's bytes: on a
default-architecture model over 1,000 random (face, angle code) pairs, on
the shipped blob over every pair, and on random valid blobs. The streaming
plan hands over each final row segment once, in order, and stays inside the
scratch its plan states; both plans do exactly the MACs their plan states."""

from __future__ import annotations

import ctypes as C

import numpy as np
import pytest
from conftest import SHIPPED_BLOB, default_arch_model
from pipdream import reference
from pipdream.blob import format as F
from pipdream.blob import load, pack
from pipdream.blob.synthetic import random_model
from pipdream.ckernels import PLAN_FULL, PLAN_STREAM, KernelError
from support.kernels import CODES, kernels, random_pairs


@pytest.fixture(scope="module")
def lib():
    return kernels()


def assert_both_plans_match(lib, blob: bytes, faces: np.ndarray, codes: np.ndarray) -> None:
    model = load(blob)
    want = reference.run(model, faces, codes)
    parsed = lib.model(blob)
    for face, code, img in zip(faces.tolist(), codes.tolist(), want):
        full = lib.generate_full(parsed, face, code)
        assert np.array_equal(full, img), f"full plan, face {face}, angle code {code}"
        streamed, _ = lib.generate_stream(parsed, face, code)
        assert np.array_equal(streamed, img), f"streaming plan, face {face}, angle code {code}"


def test_default_architecture_on_1000_random_pairs(lib):
    blob = pack(default_arch_model(11))
    faces, codes = random_pairs(np.random.default_rng(11), 1000)
    assert_both_plans_match(lib, blob, faces, codes)


@pytest.mark.skipif(not SHIPPED_BLOB.exists(), reason="no shipped blob yet")
def test_shipped_blob_on_every_face_and_angle_code(lib):
    faces, codes = np.meshgrid(np.arange(1, F.N_FACES + 1), np.arange(-127, 128))
    assert_both_plans_match(lib, SHIPPED_BLOB.read_bytes(), faces.ravel(), codes.ravel())


def test_random_valid_blobs(lib):
    rng = np.random.default_rng(12)
    for i in range(80):
        n_faces = int(rng.integers(1, F.MAX_FACES + 1)) if i % 4 == 0 else F.N_FACES
        model = random_model(rng, n_layers=int(rng.integers(1, 8)), n_faces=n_faces)
        faces, codes = random_pairs(rng, 4, n_faces)
        assert_both_plans_match(lib, pack(model), faces, codes)


def test_random_valid_blobs_cut_into_many_strips():
    """A build with a tiny scratch target streams every model in as many strips as
    make its scratch least: halos, empty windows and narrow strips, still exact."""
    lib = kernels(stream_target_bytes=64)
    rng = np.random.default_rng(17)
    strips = []
    for _ in range(60):
        model = random_model(rng, n_layers=int(rng.integers(2, 8)))
        blob = pack(model)
        strips.append(lib.plan(blob, PLAN_STREAM)[0].strips)
        faces, codes = random_pairs(rng, 3)
        assert_both_plans_match(lib, blob, faces, codes)
    assert max(strips) > 4 and np.mean(np.array(strips) > 1) > 0.5


def test_streamed_rows_come_once_each_in_order_strip_by_strip(lib):
    blob = pack(default_arch_model(13))
    info, _ = lib.plan(blob, PLAN_STREAM)
    _, calls = lib.generate_stream(blob, 4, 100)
    assert len(calls) == info.strips * 32
    seen = set()
    for i, (row, col0, width, px) in enumerate(calls):
        strip = i // 32
        assert row == i % 32  # rows in order within a strip
        assert col0 == strip * 32 // info.strips and col0 + width == (strip + 1) * 32 // info.strips
        assert len(px) == width
        seen.update((row, c) for c in range(col0, col0 + width))
    assert len(seen) == 32 * 32  # every pixel exactly once


def run_in_guarded_scratch(lib, blob: bytes, kind: int, size: int) -> tuple[int, bytes]:
    """Run a plan with `size` bytes of scratch followed by 64 guard bytes; returns
    (status, guard bytes after the run)."""
    parsed = lib.model(blob)
    buf = (C.c_uint32 * ((size + 64 + 3) // 4))()
    base = C.addressof(buf)
    C.memset(base + size, 0xA5, 64)
    if kind == PLAN_FULL:
        out = (C.c_uint8 * 1024)()
        st = lib.lib.pd_generate_full(C.byref(parsed.model), 2, -3, base, size, C.addressof(out), 1024)
    else:
        from pipdream.ckernels import ROW_FN

        st = lib.lib.pd_generate_stream(C.byref(parsed.model), 2, -3, base, size,
                                        ROW_FN(lambda *a: None), None)
    return st, C.string_at(base + size, 64)


@pytest.mark.parametrize("kind", [PLAN_FULL, PLAN_STREAM])
def test_plans_stay_inside_their_stated_scratch(lib, kind):
    blobs = [pack(default_arch_model(14))] + [pack(random_model(np.random.default_rng(s))) for s in range(20)]
    for blob in blobs:
        need = lib.plan(blob, kind)[0].scratch_bytes
        st, guard = run_in_guarded_scratch(lib, blob, kind, need)
        assert st == 0 and guard == b"\xa5" * 64
        st, _ = run_in_guarded_scratch(lib, blob, kind, need - 1)
        assert st == CODES["PD_ERR_SCRATCH_SIZE"]


@pytest.mark.parametrize("kind", [PLAN_FULL, PLAN_STREAM])
def test_the_executor_does_exactly_the_planned_macs(lib, kind):
    blobs = [pack(default_arch_model(15))] + [pack(random_model(np.random.default_rng(s))) for s in range(30)]
    for blob in blobs:
        info, _ = lib.plan(blob, kind)
        lib.mac_count.value = 0
        (lib.generate_full if kind == PLAN_FULL else lib.generate_stream)(blob, 1, 5)
        assert lib.mac_count.value == info.macs
    # and the full plan's count is the model's own MAC count
    assert lib.plan(blobs[0], PLAN_FULL)[0].macs == load(blobs[0]).macs


def test_bad_arguments_get_distinct_statuses(lib):
    blob = pack(default_arch_model(16))
    parsed = lib.model(blob)

    def status(fn, *args, **kw) -> int:
        try:
            fn(parsed, *args, **kw)
        except KernelError as e:
            return e.status
        return 0

    for gen in (lib.generate_full, lib.generate_stream):
        assert status(gen, 0, 0) == CODES["PD_ERR_FACE"]
        assert status(gen, 7, 0) == CODES["PD_ERR_FACE"]
        assert status(gen, 1, 128) == CODES["PD_ERR_ANGLE"]
        assert status(gen, 1, -128) == CODES["PD_ERR_ANGLE"]
        assert status(gen, 6, -127) == 0
    assert status(lib.generate_full, 1, 0, scratch_bytes=100) == CODES["PD_ERR_SCRATCH_SIZE"]
    out = (C.c_uint8 * 1024)()
    scratch = (C.c_uint8 * 20000)()
    st = lib.lib.pd_generate_full(C.byref(parsed.model), 1, 0, scratch, 20000, C.addressof(out), 1023)
    assert st == CODES["PD_ERR_OUT_SIZE"]
    from pipdream.ckernels import ROW_FN

    cb = ROW_FN(lambda *a: None)
    st = lib.lib.pd_generate_stream(C.byref(parsed.model), 1, 0, C.addressof(scratch) + 1, 4000, cb, None)
    assert st == CODES["PD_ERR_SCRATCH_ALIGN"]
    st = lib.lib.pd_generate_stream(C.byref(parsed.model), 1, 0, C.addressof(scratch), 4000,
                                    C.cast(None, ROW_FN), None)
    assert st == CODES["PD_ERR_CALLBACK"]
    with pytest.raises(KernelError):
        lib.plan(parsed, 2)
