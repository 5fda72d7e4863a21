"""The C blob parser (pd_model_parse) makes exactly the checks of blob/reader.py:
whatever the Python reader rejects, C rejects with the status code of that
check (one distinct code per check), naming the same layer; whatever it
accepts, C accepts, and runs to the reference's bytes."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SHIPPED_BLOB, default_arch_model
from pipdream import reference
from pipdream.blob import load, pack
from pipdream.blob.synthetic import random_model
from support.kernels import (
    CODES,
    PARSER_CODES,
    bit_flips,
    crafted,
    kernels,
    python_verdict,
    truncations,
)


@pytest.fixture(scope="module")
def lib():
    return kernels()


@pytest.fixture(scope="module")
def small_blob() -> bytes:
    """A small valid 3-layer blob: every byte of it gets truncated and flipped."""
    return pack(random_model(np.random.default_rng(23), n_layers=3))  # 516 bytes


@pytest.fixture(scope="module")
def arch_blob() -> bytes:
    return pack(default_arch_model(3))


def assert_same_verdict(lib, name: str, blob: bytes) -> str:
    want, want_layer = python_verdict(blob)
    got = lib.parse(blob)
    assert got.status == CODES[want], (
        f"{name}: C says {got.status} ({lib.message(got.status)}), the Python reader {want}")
    if want != "PD_OK":
        assert got.err_layer == want_layer, f"{name}: C blames layer {got.err_layer}, Python {want_layer}"
    return want


def test_status_codes_are_distinct_and_in_the_readers_order():
    assert CODES["PD_OK"] == 0
    assert len(set(CODES.values())) == len(CODES)
    assert PARSER_CODES[:3] == ["PD_ERR_HEADER_TRUNCATED", "PD_ERR_MAGIC", "PD_ERR_VERSION"]
    assert PARSER_CODES[-1] == "PD_ERR_OUTPUT_SHAPE"


def test_every_status_has_its_own_message(lib):
    messages = [lib.message(code) for code in CODES.values()]
    assert len(set(messages)) == len(messages)
    assert lib.message(10_000) == "unknown status"


def test_valid_blobs_parse(lib, small_blob, arch_blob):
    for blob in (small_blob, arch_blob):
        p = lib.parse(blob)
        assert p.status == 0, lib.message(p.status)
        m = load(blob)
        assert (p.model.n_layers, p.model.n_faces) == (len(m.layers), m.n_faces)
        assert (p.model.out_h, p.model.out_w) == m.out_shape[1:]


@pytest.mark.skipif(not SHIPPED_BLOB.exists(), reason="no shipped blob yet")
def test_the_shipped_blob_parses(lib):
    assert lib.parse(SHIPPED_BLOB.read_bytes()).status == 0


def test_crc_matches_zlib(lib, arch_blob):
    from pipdream.blob.writer import blob_crc

    assert lib.crc(arch_blob) == blob_crc(arch_blob)


def test_crafted_defects_get_the_readers_verdict(lib, small_blob, arch_blob):
    seen = set()
    for blob in (small_blob, arch_blob):
        for name, bad in crafted(blob):
            seen.add(assert_same_verdict(lib, name, bad))
    # the crafted suite reaches every check of the parser
    assert set(PARSER_CODES) <= seen, sorted(set(PARSER_CODES) - seen)


def blobs_to_corrupt(small_blob: bytes) -> list[bytes]:
    return [small_blob] + ([SHIPPED_BLOB.read_bytes()] if SHIPPED_BLOB.exists() else [])


def test_truncation_at_every_byte_is_rejected(lib, small_blob):
    for blob in blobs_to_corrupt(small_blob):
        for name, bad in truncations(blob):
            assert assert_same_verdict(lib, name, bad) != "PD_OK"


def test_every_single_bit_flip_is_rejected(lib, small_blob):
    for blob in blobs_to_corrupt(small_blob):
        for name, bad in bit_flips(blob, resign=False):
            assert assert_same_verdict(lib, name, bad) != "PD_OK"


def test_resigned_bit_flips_get_the_readers_verdict_and_accepted_ones_run_exactly(lib, small_blob):
    """With the CRC recomputed, a flip meets the structural checks; a flip the
    reader accepts (a weight bit, say) must run to the reference's bytes."""
    verdicts = set()
    for name, bad in bit_flips(small_blob, resign=True):
        verdict = assert_same_verdict(lib, name, bad)
        verdicts.add(verdict)
        if verdict == "PD_OK":
            model = load(bad)
            face, code = 1 + len(verdicts) % model.n_faces, (hash(name) % 255) - 127
            want = reference.run(model, np.array([face]), np.array([code]))[0]
            assert (lib.generate_full(bad, face, code) == want).all(), name
            assert (lib.generate_stream(bad, face, code)[0] == want).all(), name
    assert "PD_OK" in verdicts and len(verdicts) > 10


def test_an_unparsed_model_refuses_to_run(lib, small_blob):
    bad = lib.parse(small_blob[:-1])
    assert bad.status == CODES["PD_ERR_TOTAL_SIZE"]
    from pipdream.ckernels import KernelError

    with pytest.raises(KernelError, match="no valid model"):
        lib.generate_full(bad, 1, 0, scratch_bytes=100000)
    with pytest.raises(KernelError, match="no valid model"):
        lib.generate_stream(bad, 1, 0, scratch_bytes=100000)
    with pytest.raises(KernelError, match="no valid model"):
        lib.plan(bad, 0)
