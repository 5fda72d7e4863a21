"""Blob format v1: every constant of the binary model format, defined once.

`pipdream export-header` (pipdream.blob.c_header) turns this module into
natmod/kernels/pd_format.h; a test checks the committed header is current.
docs/blob-format.md describes the layout in prose.

Layout (little-endian):

    header       HEADER_SIZE bytes at offset 0
    layer table  n_layers * LAYER_SIZE bytes at offset HEADER_SIZE
    payload      weights, biases, multipliers and shifts of every layer,
                 each section starting at a multiple of ALIGN

The CRC32 (zlib polynomial) covers the whole blob except the 4 bytes of the
crc field itself: crc32(blob[:CRC_OFFSET] + blob[CRC_OFFSET + 4:]).
"""

from __future__ import annotations

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
    ("flags", 24, "I"),  # H13 (must be 0 in v1)
    ("reserved", 28, "I"),  # H14 (must be 0 in v1)
)
HEADER_SIZE = 32
CRC_OFFSET = 12

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

# ---- enumerations -----------------------------------------------------------
KIND_FC = 1  # dense: in (1, 1, in_c) -> out (out_h, out_w, out_c), one "channel" per output value
KIND_CONVT = 2  # transposed convolution, square kernel
KIND_CONV = 3  # convolution, square kernel

ACT_CLAMP = 1  # requantize, then clamp to 0..255 (ReLU, and the output clamp)

DTYPE_UINT8 = 0  # activations after a clamp
DTYPE_INT8 = 1  # the decoder input: one-hot * 127 and the angle code

LAYOUT_OHWI = 0  # weights [out_c][ky][kx][in_c]; fc: [out_h][out_w][out_c][in_c]

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
