"""Blob format v1, as written: every header and layer-table field at its documented offset."""

from __future__ import annotations

import struct

import numpy as np
from conftest import default_arch_model
from hypothesis import given, settings
from hypothesis import strategies as st
from pipdream import reference
from pipdream.blob import c_header, load, pack
from pipdream.blob import format as F
from pipdream.blob.synthetic import random_model
from pipdream.blob.writer import blob_crc


def test_header_fields_sit_at_their_documented_offsets():
    model = default_arch_model()
    blob = pack(model)
    assert blob[0:4] == b"PIPD"
    assert struct.unpack_from("<HHII", blob, 4) == (1, 32, len(blob), blob_crc(blob))
    assert tuple(blob[16:22]) == (6, 1, 32, 32, 1, len(model.layers))
    assert struct.unpack_from("<HII", blob, 22) == (48, 0, 0)


def test_layer_table_fields_describe_each_layer():
    model = default_arch_model()
    blob = pack(model)
    for i, layer in enumerate(model.layers):
        e = 32 + 48 * i
        ci, hi, wi = layer.in_shape
        co, ho, wo = layer.out_shape
        assert tuple(blob[e : e + 14]) == (
            layer.kind, F.ACT_CLAMP, ci, co, hi, wi, ho, wo, layer.kernel, layer.stride,
            layer.padding, layer.output_padding, layer.in_type, F.LAYOUT_OHWI)
        w_off, w_size, b_off, b_size, m_off, m_size, s_off, s_size = struct.unpack_from(
            "<8I", blob, e + 16)
        assert (w_size, b_size, m_size, s_size) == (
            layer.weights.size, 4 * layer.n_ch, 2 * layer.n_ch, layer.n_ch)
        assert all(off % 4 == 0 for off in (w_off, b_off, m_off, s_off))
        assert blob[w_off : w_off + w_size] == layer.weights.astype("<i1").tobytes()
        assert blob[b_off : b_off + b_size] == layer.bias.astype("<i4").tobytes()
        assert blob[m_off : m_off + m_size] == layer.mult.astype("<u2").tobytes()
        assert blob[s_off : s_off + s_size] == layer.shift.astype("<u1").tobytes()


def test_the_crc_covers_everything_but_its_own_field():
    import zlib

    blob = pack(default_arch_model())
    assert struct.unpack_from("<I", blob, 12)[0] == zlib.crc32(blob[:12] + blob[16:])


def _same(a, b):
    assert (a.n_faces, a.latent_size) == (b.n_faces, b.latent_size)
    for x, y in zip(a.layers, b.layers, strict=True):
        for attr in ("kind", "in_shape", "out_shape", "kernel", "stride", "padding",
                     "output_padding", "in_type", "act"):
            assert getattr(x, attr) == getattr(y, attr), attr
        for arr in ("weights", "bias", "mult", "shift"):
            np.testing.assert_array_equal(getattr(x, arr), getattr(y, arr))


def test_pack_then_load_is_the_identity_for_the_default_architecture():
    model = default_arch_model(3)
    _same(load(pack(model)), model)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_random_valid_layer_stacks_round_trip_and_run(seed):
    rng = np.random.default_rng(seed)
    model = random_model(rng)
    blob = pack(model)
    again = load(blob)
    _same(again, model)
    assert pack(again) == blob
    faces, codes = rng.integers(1, 7, 8), rng.integers(-127, 128, 8)
    images = reference.run(again, faces, codes)
    assert images.dtype == np.uint8 and images.shape == (8, *model.out_shape[1:])


def test_the_committed_c_header_and_device_constants_are_current():
    assert c_header.HEADER_PATH.read_text() == c_header.render(), \
        "natmod/kernels/pd_format.h is stale: run `pipdream export-header`"
    assert c_header.DEVICE_PATH.read_text() == c_header.render_device(), \
        "device/pdformat.py is stale: run `pipdream export-header`"
