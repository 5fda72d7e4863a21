"""A full-plan image split between cores (pd_generate_full_part): every part computes its rows
of each layer and waits for the others at a barrier; the image is byte-identical to one core's,
for any number of parts up to PD_MAX_PARTS. Here the parts are host threads running the C at
the same time (ctypes releases the GIL); on the Pico they are the two Cortex-M0+ cores."""

from __future__ import annotations

import ctypes as C

import numpy as np
import pytest
from conftest import SHIPPED_BLOB, default_arch_model
from pipdream import reference
from pipdream.blob import load, pack
from pipdream.blob.synthetic import random_model
from support.kernels import CODES, kernels, random_pairs


@pytest.fixture(scope="module")
def lib():
    return kernels()


@pytest.mark.parametrize("parts", [1, 2, 3, 4])
def test_a_split_image_is_the_reference_image_on_every_face(lib, parts):
    blob = SHIPPED_BLOB.read_bytes()
    parsed = lib.model(blob)
    faces = np.repeat(np.arange(1, 7), 4)
    codes = np.tile([-127, -40, 0, 97], 6)
    want = reference.run(load(blob), faces, codes)
    for face, code, img in zip(faces.tolist(), codes.tolist(), want):
        got, status = lib.generate_split(parsed, face, code, parts)
        assert status == [0] * parts and np.array_equal(got, img), (face, code)


def test_two_parts_on_random_models_and_pairs(lib):
    rng = np.random.default_rng(31)
    for i in range(12):
        model = default_arch_model(i) if i % 3 == 0 else random_model(rng, n_layers=int(rng.integers(1, 8)))
        blob = pack(model)
        faces, codes = random_pairs(rng, 3, model.n_faces)
        want = reference.run(model, faces, codes)
        for face, code, img in zip(faces.tolist(), codes.tolist(), want):
            got, status = lib.generate_split(blob, face, code, 2)
            assert status == [0, 0] and np.array_equal(got, img)


def test_a_part_whose_partner_never_comes_gives_up_with_a_sync_error(lib):
    _, status = lib.generate_split(SHIPPED_BLOB.read_bytes(), 3, 10, 2, spin_limit=100_000, run=[0])
    assert status[0] == CODES["PD_ERR_SYNC"]
    assert lib.message(CODES["PD_ERR_SYNC"]) == "another core did not reach the barrier"


@pytest.mark.parametrize("part, parts", [(2, 2), (0, 0), (0, 5), (255, 1)])
def test_bad_part_numbers_are_refused(lib, part, parts):
    parsed = lib.model(pack(default_arch_model(1)))
    scratch, out, sync = (C.c_uint8 * 20000)(), (C.c_uint8 * 1024)(), (C.c_uint8 * 8)()
    st = lib.lib.pd_generate_full_part(C.byref(parsed.model), 1, 0, C.addressof(scratch), 20000,
                                       C.addressof(out), 1024, part, parts, C.addressof(sync), 1000)
    assert st == CODES["PD_ERR_PART"]
