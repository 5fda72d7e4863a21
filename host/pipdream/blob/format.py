"""Blob format v1: every constant of the binary model format, defined once.

`pipdream export-header` (pipdream.blob.c_header) turns this module into
natmod/kernels/pd_format.h and device/pdformat.py; a test checks both are current.
docs/blob-format.md describes the layout in prose.

Layout (little-endian):

    header       HEADER_SIZE bytes at offset 0
    layer table  n_layers * LAYER_SIZE bytes at offset HEADER_SIZE
    payload      weights, biases, multipliers and shifts of every layer,
                 each section starting at a multiple of ALIGN

The CRC32 (zlib polynomial) covers the whole blob except the crc field itself:
crc32(blob[:CRC_OFFSET] + blob[CRC_OFFSET + CRC_WIDTH:]).

Every offset and width a reader needs is generated from the tables below: per field
PD_H_<NAME> / PD_L_<NAME> (offset) and ..._WIDTH (bytes) in C; in device/pdformat.py the
same offsets, and HEADER_FORMAT / LAYER_FORMAT (a record's struct format: the widths)
with HEADER_NAMES / LAYER_NAMES (its field names, in order).
"""

from __future__ import annotations

import struct

MAGIC = b"PIPD"
VERSION = 1
ALIGN = 4  # every payload section starts at a multiple of this

# ---- header fields: (name, offset, struct code) ----------------------------
HEADER_FIELDS = (
    ("magic", 0, "4s"),  # H1
    ("version", 4, "H"),  # H2
    ("header_size", 6, "H"),  # H3
    ("total_size", 8, "I"),  # H4
    ("crc32", 12, "I"),  # H5
    ("n_faces", 16, "B"),  # H6
    ("latent_size", 17, "B"),  # H7
    ("out_h", 18, "B"),  # H8
    ("out_w", 19, "B"),  # H9
    ("out_c", 20, "B"),  # H10
    ("n_layers", 21, "B"),  # H11
    ("layer_size", 22, "H"),  # H12
    ("flags", 24, "I"),  # H13 FLAG_* bits
    ("reserved", 28, "I"),  # H14 (must be 0 in v1)
)
HEADER_SIZE = 32

# ---- layer table entry fields -----------------------------------------------
LAYER_FIELDS = (
    ("kind", 0, "B"),  # L1  KIND_*
    ("act", 1, "B"),  # L2  ACT_*
    ("in_c", 2, "B"),  # L3
    ("out_c", 3, "B"),  # L4
    ("in_h", 4, "B"),  # L5
    ("in_w", 5, "B"),  # L6
    ("out_h", 6, "B"),  # L7
    ("out_w", 7, "B"),  # L8
    ("kernel", 8, "B"),  # L9
    ("stride", 9, "B"),  # L10
    ("padding", 10, "B"),  # L11
    ("output_padding", 11, "B"),  # L12
    ("in_type", 12, "B"),  # L13 DTYPE_*
    ("w_layout", 13, "B"),  # L14 LAYOUT_*
    ("reserved", 14, "H"),  # L15 (must be 0)
    ("w_off", 16, "I"),  # L16 int8 weights
    ("w_size", 20, "I"),  # L17
    ("b_off", 24, "I"),  # L18 int32 biases, one per output channel
    ("b_size", 28, "I"),  # L19
    ("m_off", 32, "I"),  # L20 uint16 multipliers, one per output channel
    ("m_size", 36, "I"),  # L21
    ("s_off", 40, "I"),  # L22 uint8 shifts, one per output channel
    ("s_size", 44, "I"),  # L23
)
LAYER_SIZE = 48

# ---- payload sections of a layer: (field prefix, struct code of one element) ----
SECTIONS = (
    ("w", "b"),  # int8 weights at w_off
    ("b", "i"),  # int32 biases at b_off
    ("m", "H"),  # uint16 multipliers at m_off
    ("s", "B"),  # uint8 shifts at s_off
)


def width(code: str) -> int:
    """Bytes of a field or section element with this struct code."""
    return struct.calcsize("<" + code)


def record_format(fields: tuple, size: int) -> str:
    """The struct format of a whole record (header or layer entry): its fields back to back,
    little-endian. Fails if they leave a gap or do not fill `size` bytes."""
    end = 0
    for name, off, code in fields:
        assert off == end, f"{name} at {off}, expected {end}"
        end += width(code)
    assert end == size, f"fields end at {end}, the record is {size}"
    return "<" + "".join(code for _, _, code in fields)


HEADER_FORMAT = record_format(HEADER_FIELDS, HEADER_SIZE)
LAYER_FORMAT = record_format(LAYER_FIELDS, LAYER_SIZE)
CRC_OFFSET, CRC_WIDTH = next((off, width(code)) for name, off, code in HEADER_FIELDS if name == "crc32")
WEIGHT_WIDTH, BIAS_WIDTH, MULT_WIDTH, SHIFT_WIDTH = (width(code) for _, code in SECTIONS)

# ---- enumerations -----------------------------------------------------------
KIND_FC = 1  # dense: in (1, 1, in_c) -> out (out_h, out_w, out_c), one "channel" per output value
KIND_CONVT = 2  # transposed convolution, square kernel
KIND_CONV = 3  # convolution, square kernel
KIND_BY_NAME = {"fc": KIND_FC, "convT": KIND_CONVT, "conv": KIND_CONV}  # the names layer specs use
KIND_NAMES = {code: name for name, code in KIND_BY_NAME.items()}

ACT_CLAMP = 1  # requantize, then clamp to 0..255 (ReLU, and the output clamp)

DTYPE_UINT8 = 0  # activations after a clamp
DTYPE_INT8 = 1  # the decoder input: one-hot * 127 and the angle code

LAYOUT_OHWI = 0  # weights [out_c][ky][kx][in_c]; fc: [out_h][out_w][out_c][in_c]

# ---- header flags (H13) ---------------------------------------------------------
# The mirror fold (docs/arithmetic.md): a die mirrored left-right is the same face at another
# angle, so the model draws each face only over the codes no mirror reaches, and the image
# for any other code is the image of its mirror code, mirrored. Needs the six die faces.
FLAG_MIRROR_FOLD = 1
FLAGS_KNOWN = FLAG_MIRROR_FOLD
# Faces by symmetry, bit f for face f. Square (1, 4, 5): a quarter turn and the mirror, codes
# folded into [0, FOLD_QUARTER]. Diagonal (2, 3): the mirror turns code a into 127 - a (90
# degrees - angle), folded into [-FOLD_QUARTER, FOLD_QUARTER]. The rest (6, two columns): the
# mirror turns a into -a, folded into [0, 127].
FOLD_SQUARE_FACES = (1 << 1) | (1 << 4) | (1 << 5)
FOLD_DIAGONAL_FACES = (1 << 2) | (1 << 3)
FOLD_QUARTER = 63  # 45 degrees is code 63.5

# ---- hard maxima (every count and dimension is checked against these) --------
MAX_LAYERS = 16
MAX_CHANNELS = 32
MAX_DIM = 64  # height and width of any activation
MAX_KERNEL = 5
MAX_STRIDE = 2
MAX_FC_IN = 64
MAX_FC_OUT = 2048  # out_h * out_w * out_c of a dense layer
MAX_BLOB_SIZE = 1 << 20
MAX_SHIFT = 24  # pre-shift s of the requantization
MULT_MIN = 1 << 12  # multipliers are normalised into [2^12, 2^16) (docs/arithmetic.md)
MAX_BIAS = 1 << 24  # |bias| bound; with the maxima above |acc| < 2^26 (docs/arithmetic.md)

MAX_FACES = 32

# ---- the model interface --------------------------------------------------------
N_FACES = 6
LATENT_SIZE = 1
ONE_HOT_CODE = 127  # input value of the chosen face; the others are 0
ANGLE_CODE_MAX = 127  # angle code a in [-127, 127] stands for latent a / 127
OUT_H = OUT_W = 32
OUT_C = 1
