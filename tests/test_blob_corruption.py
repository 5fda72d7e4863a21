"""Loading untrusted blobs: every defect is a BlobError that says what and where."""

from __future__ import annotations

import struct

import pytest
from conftest import default_arch_model
from pipdream.blob import BlobError, load, pack
from pipdream.blob import format as F
from pipdream.blob.writer import with_crc


def test_the_shipped_blob_loads(shipped_blob):
    assert load(shipped_blob).params > 0


def test_truncation_at_every_byte_is_rejected(shipped_blob):
    for n in range(len(shipped_blob)):
        with pytest.raises(BlobError):
            load(shipped_blob[:n])


def test_every_single_bit_flip_is_rejected(shipped_blob):
    for i in range(len(shipped_blob)):
        for bit in range(8):
            bad = bytearray(shipped_blob)
            bad[i] ^= 1 << bit
            with pytest.raises(BlobError):
                load(bad)


def test_a_torn_copy_names_the_length_mismatch(shipped_blob):
    with pytest.raises(BlobError, match=r"total_size.*declares \d+ bytes but the blob has 100"):
        load(shipped_blob[:100])


def test_appended_bytes_are_rejected(shipped_blob):
    with pytest.raises(BlobError, match="total_size"):
        load(shipped_blob + b"\0")


def _patch(blob: bytes, offset: int, fmt: str, value: int) -> bytes:
    """Set one field and re-sign the CRC, so only the semantic check can catch it."""
    out = bytearray(blob)
    struct.pack_into("<" + fmt, out, offset, value)
    return with_crc(out)


def _layer(i: int, offset: int) -> int:
    return F.HEADER_SIZE + i * F.LAYER_SIZE + offset


@pytest.fixture(scope="module")
def blob() -> bytes:
    return pack(default_arch_model())


@pytest.mark.parametrize(
    "offset, fmt, value, message",
    [
        (0, "I", 0x44504951, r"header.magic \(offset 0\): bad magic"),
        (4, "H", 2, r"header.version \(offset 4\): unsupported format version 2"),
        (6, "H", 40, r"header.header_size \(offset 6\): 40, expected 32"),
        (16, "B", 0, r"header.n_faces \(offset 16\): 0 not in 1..32"),
        (17, "B", 2, r"header.latent_size"),
        (18, "B", 200, r"header.out_h \(offset 18\): 200 not in 1..64"),
        (20, "B", 3, r"header.out_c"),
        (21, "B", 17, r"header.n_layers \(offset 21\): 17 not in 1..16"),
        (21, "B", 0, r"header.n_layers"),
        (22, "H", 64, r"header.layer_size"),
        (24, "I", 2, r"header.flags \(offset 24\): 0x2 has bits this reader does not know \(known: 0x1\)"),
        (28, "I", 5, r"header.reserved"),
        (_layer(0, 0), "B", 9, r"layer 0.kind \(offset 32\): unknown layer kind 9"),
        (_layer(1, 1), "B", 0, r"layer 1.act \(offset 81\): unknown activation 0"),
        (_layer(1, 3), "B", 33, r"layer 1.out_c \(offset 83\): 33 not in 1..32"),
        (_layer(2, 2), "B", 0, r"layer 2.in_c"),
        (_layer(3, 6), "B", 255, r"layer 3.out_h \(offset 182\): 255 not in 1..64"),
        (_layer(3, 7), "B", 17, r"layer 3.out_w.*17, but the input size 16 gives 16"),
        (_layer(1, 8), "B", 6, r"layer 1.kernel.*6 not in 1..5"),
        (_layer(1, 9), "B", 3, r"layer 1.stride.*3 not in 1..2"),
        (_layer(1, 10), "B", 3, r"layer 1.padding.*3 must be less than the kernel 3"),
        (_layer(3, 11), "B", 1, r"layer 3.output_padding.*1 not in 0..0"),
        (_layer(0, 8), "B", 3, r"layer 0.kernel.*a dense layer has kernel 1"),
        (_layer(1, 12), "B", F.DTYPE_INT8, r"layer 1.in_type"),
        (_layer(1, 13), "B", 7, r"layer 1.w_layout.*unknown layout 7"),
        (_layer(1, 14), "H", 1, r"layer 1.reserved"),
        (_layer(1, 16), "I", 0xFFFFFFF0, r"layer 1.w_off.*outside the payload"),  # off+size wraps
        (_layer(1, 16), "I", 0xFFFFFFFC, r"layer 1.w_off.*outside the payload"),
        (_layer(1, 16), "I", 0, r"layer 1.w_off.*outside the payload"),  # overlaps the header
        (_layer(1, 24), "I", 1002, r"layer 1.b_off.*not a multiple of 4"),
        (_layer(1, 20), "I", 0xFFFFFFFF, r"layer 1.w_size.*the shape needs 576"),
        (_layer(2, 36), "I", 14, r"layer 2.m_size.*the shape needs 16"),
    ],
)
def test_crafted_fields_are_rejected_with_a_specific_message(blob, offset, fmt, value, message):
    with pytest.raises(BlobError, match=message):
        load(_patch(blob, offset, fmt, value))


def test_the_mirror_fold_is_only_for_the_six_die_faces(blob):
    folded = _patch(blob, 24, "I", F.FLAG_MIRROR_FOLD)
    assert load(folded).flags == F.FLAG_MIRROR_FOLD
    five_faces = _patch(folded, 16, "B", 5)
    message = r"header.flags \(offset 24\): the mirror fold needs the 6 die faces, not 5"
    with pytest.raises(BlobError, match=message):
        load(five_faces)


def test_a_dense_layer_too_large_for_the_maximum_is_rejected(blob):
    bad = _patch(blob, _layer(0, 3), "B", 32)
    bad = _patch(bad, _layer(0, 6), "B", 32)
    bad = _patch(bad, _layer(0, 7), "B", 32)  # 32 x 32 x 32 = 32768 outputs
    with pytest.raises(BlobError, match=r"layer 0.out_c.*32x32x32 outputs exceed the maximum 2048"):
        load(bad)


def _section(blob: bytes, layer: int, field_offset: int) -> int:
    return struct.unpack_from("<I", blob, _layer(layer, field_offset))[0]


@pytest.mark.parametrize(
    "section, fmt, value, message",
    [
        (32, "H", 0, r"layer 2.m_off.*element 0 \(8 in all\) is below 4096"),  # a zero multiplier
        (32, "H", 4095, r"layer 2.m_off.*is below 4096"),
        (40, "B", 25, r"layer 2.s_off.*exceeds 24"),  # an absurd shift
        (24, "i", 1 << 25, r"layer 2.b_off.*exceeds \+-16777216"),
        (16, "b", -128, r"layer 2.w_off.*is -128"),
    ],
)
def test_out_of_range_quantization_values_are_rejected(blob, section, fmt, value, message):
    with pytest.raises(BlobError, match=message):
        load(_patch(blob, _section(blob, 2, section), fmt, value))


def test_a_blob_is_rejected_before_its_layers_are_read_when_shorter_than_the_table(blob):
    with pytest.raises(BlobError, match="header"):
        load(blob[:20])


def test_blob_error_is_a_value_error():
    assert issubclass(BlobError, ValueError)
