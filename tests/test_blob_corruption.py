"""Loading untrusted blobs: every defect is a BlobError that says what and where."""

from __future__ import annotations

import re

import pytest
from conftest import default_arch_model
from pipdream.blob import BlobError, load, pack
from pipdream.blob import format as F
from support.kernels import layer_field, patch_at, patch_field, patch_header, patch_layer


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


@pytest.fixture(scope="module")
def blob() -> bytes:
    return pack(default_arch_model())


# (field, value set there with the CRC re-signed, what the error says after the field's name); the
# offsets in the messages pin the layout, the fields' widths follow from them (format.record_format)
@pytest.mark.parametrize(
    "field, value, message",
    [
        ("header.magic", b"QIPD", r"\(offset 0\): bad magic"),
        ("header.version", 2, r"\(offset 4\): unsupported format version 2"),
        ("header.header_size", 40, r"\(offset 6\): 40, expected 32"),
        ("header.n_faces", 0, r"\(offset 16\): 0 not in 1..32"),
        ("header.latent_size", 2, r"\(offset 17\): 2, expected 1"),
        ("header.out_h", 200, r"\(offset 18\): 200 not in 1..64"),
        ("header.out_c", 3, r"\(offset 20\): 3, expected 1"),
        ("header.n_layers", 17, r"\(offset 21\): 17 not in 1..16"),
        ("header.n_layers", 0, r"\(offset 21\): 0 not in 1..16"),
        ("header.layer_size", 64, r"\(offset 22\): 64, expected 48"),
        ("header.flags", 2, r"\(offset 24\): 0x2 has bits this reader does not know \(known: 0x1\)"),
        ("header.reserved", 5, r"\(offset 28\): must be 0"),
        ("layer 0.kind", 9, r"\(offset 32\): unknown layer kind 9"),
        ("layer 1.act", 0, r"\(offset 81\): unknown activation 0"),
        ("layer 1.out_c", 33, r"\(offset 83\): 33 not in 1..32"),
        ("layer 2.in_c", 0, r"\(offset 130\): 0 not in 1..32"),
        ("layer 3.out_h", 255, r"\(offset 182\): 255 not in 1..64"),
        ("layer 3.out_w", 17, r"\(offset 183\): 17, but the input size 16 gives 16"),
        ("layer 1.kernel", 6, r"\(offset 88\): 6 not in 1..5"),
        ("layer 1.stride", 3, r"\(offset 89\): 3 not in 1..2"),
        ("layer 1.padding", 3, r"\(offset 90\): 3 must be less than the kernel 3"),
        ("layer 3.output_padding", 1, r"\(offset 187\): 1 not in 0..0"),
        ("layer 0.kernel", 3, r"\(offset 40\): a dense layer has kernel 1"),
        ("layer 1.in_type", F.DTYPE_INT8, r"\(offset 92\): 1, expected 0"),
        ("layer 1.w_layout", 7, r"\(offset 93\): unknown layout 7"),
        ("layer 1.reserved", 1, r"\(offset 94\): must be 0"),
        ("layer 1.w_off", 0xFFFFFFF0, r"\(offset 96\): .* is outside the payload"),  # off+size wraps
        ("layer 1.w_off", 0xFFFFFFFC, r"\(offset 96\): .* is outside the payload"),
        ("layer 1.w_off", 0, r"\(offset 96\): .* is outside the payload"),  # overlaps the header
        ("layer 1.b_off", 1002, r"\(offset 104\): 1002 is not a multiple of 4"),
        ("layer 1.w_size", 0xFFFFFFFF, r"\(offset 100\): .* the shape needs 576"),
        ("layer 2.m_size", 14, r"\(offset 164\): 14 bytes, the shape needs 16"),
    ],
)
def test_crafted_fields_are_rejected_with_a_specific_message(blob, field, value, message):
    with pytest.raises(BlobError, match=re.escape(field) + " " + message):
        load(patch_field(blob, field, value))


def test_the_mirror_fold_is_only_for_the_six_die_faces(blob):
    folded = patch_header(blob, "flags", F.FLAG_MIRROR_FOLD)
    assert load(folded).flags == F.FLAG_MIRROR_FOLD
    five_faces = patch_header(folded, "n_faces", 5)
    message = r"header.flags \(offset 24\): the mirror fold needs the 6 die faces, not 5"
    with pytest.raises(BlobError, match=message):
        load(five_faces)


def test_a_dense_layer_too_large_for_the_maximum_is_rejected(blob):
    bad = patch_layer(blob, 0, "out_c", 32)
    bad = patch_layer(bad, 0, "out_h", 32)
    bad = patch_layer(bad, 0, "out_w", 32)  # 32 x 32 x 32 = 32768 outputs
    with pytest.raises(BlobError, match=r"layer 0.out_c.*32x32x32 outputs exceed the maximum 2048"):
        load(bad)


@pytest.mark.parametrize(
    "section, fmt, value, message",
    [
        ("m_off", "H", 0, r"layer 2.m_off.*element 0 \(8 in all\) is below 4096"),  # a zero multiplier
        ("m_off", "H", 4095, r"layer 2.m_off.*is below 4096"),
        ("s_off", "B", 25, r"layer 2.s_off.*exceeds 24"),  # an absurd shift
        ("b_off", "i", 1 << 25, r"layer 2.b_off.*exceeds \+-16777216"),
        ("w_off", "b", -128, r"layer 2.w_off.*is -128"),
    ],
)
def test_out_of_range_quantization_values_are_rejected(blob, section, fmt, value, message):
    with pytest.raises(BlobError, match=message):
        load(patch_at(blob, layer_field(blob, 2, section), fmt, value))


def test_a_blob_is_rejected_before_its_layers_are_read_when_shorter_than_the_table(blob):
    with pytest.raises(BlobError, match="header"):
        load(blob[:20])


def test_blob_error_is_a_value_error():
    assert issubclass(BlobError, ValueError)
