# Blob parser for the device: the checks of host/pipdream/blob/reader.py, in its
# order and with its messages, on MicroPython, CircuitPython and CPython (no numpy).
#
#   import pdblob
#   header, layers = pdblob.parse(open("model.blob", "rb").read())   # BlobError on any defect
#
# Constants come from pdformat.py (generated from host/pipdream/blob/format.py);
# the field widths below are those of format.HEADER_FIELDS and LAYER_FIELDS.

import pdformat as F

try:
    from binascii import crc32 as _crc32
except ImportError:  # ports built without binascii.crc32
    _crc32 = None


class BlobError(ValueError):
    """A blob is malformed; the message says what is wrong and where."""


def _crc32_py(data, crc=0):
    # zlib's CRC32, bit by bit: only for ports without binascii.crc32.
    crc ^= 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0xEDB88320 & -(crc & 1))
    return crc ^ 0xFFFFFFFF


def blob_crc(data):
    """CRC32 over the whole blob except the crc field (as writer.blob_crc)."""
    mv = memoryview(data)
    f = _crc32 or _crc32_py
    crc = f(mv[:F.CRC_OFFSET])
    return f(mv[F.CRC_OFFSET + 4:], crc) & 0xFFFFFFFF


def _u8(d, o):
    return d[o]


def _u16(d, o):
    return d[o] | d[o + 1] << 8


def _u32(d, o):
    return d[o] | d[o + 1] << 8 | d[o + 2] << 16 | d[o + 3] << 24


def _require(cond, where, msg):
    if not cond:
        raise BlobError(where + ": " + msg)


class Layer:
    """One validated layer table entry; payload sections are byte offsets into the blob."""

    def __init__(self, d, base):
        self.kind = _u8(d, base + F.L_KIND)
        self.act = _u8(d, base + F.L_ACT)
        self.in_c = _u8(d, base + F.L_IN_C)
        self.out_c = _u8(d, base + F.L_OUT_C)
        self.in_h = _u8(d, base + F.L_IN_H)
        self.in_w = _u8(d, base + F.L_IN_W)
        self.out_h = _u8(d, base + F.L_OUT_H)
        self.out_w = _u8(d, base + F.L_OUT_W)
        self.kernel = _u8(d, base + F.L_KERNEL)
        self.stride = _u8(d, base + F.L_STRIDE)
        self.padding = _u8(d, base + F.L_PADDING)
        self.output_padding = _u8(d, base + F.L_OUTPUT_PADDING)
        self.in_type = _u8(d, base + F.L_IN_TYPE)
        self.w_layout = _u8(d, base + F.L_W_LAYOUT)
        self.reserved = _u16(d, base + F.L_RESERVED)
        self.w_off = _u32(d, base + F.L_W_OFF)
        self.w_size = _u32(d, base + F.L_W_SIZE)
        self.b_off = _u32(d, base + F.L_B_OFF)
        self.b_size = _u32(d, base + F.L_B_SIZE)
        self.m_off = _u32(d, base + F.L_M_OFF)
        self.m_size = _u32(d, base + F.L_M_SIZE)
        self.s_off = _u32(d, base + F.L_S_OFF)
        self.s_size = _u32(d, base + F.L_S_SIZE)

    @property
    def n_ch(self):
        """Requantization channels: out_c, or every output value of a dense layer."""
        if self.kind == F.KIND_FC:
            return self.out_c * self.out_h * self.out_w
        return self.out_c

    @property
    def n_weights(self):
        if self.kind == F.KIND_FC:
            return self.n_ch * self.in_c
        return self.out_c * self.kernel * self.kernel * self.in_c

    @property
    def params(self):
        return self.n_weights + self.n_ch


class Header:
    """The validated header fields."""

    def __init__(self, d):
        self.magic = bytes(d[F.H_MAGIC:F.H_MAGIC + 4])
        self.version = _u16(d, F.H_VERSION)
        self.header_size = _u16(d, F.H_HEADER_SIZE)
        self.total_size = _u32(d, F.H_TOTAL_SIZE)
        self.crc32 = _u32(d, F.H_CRC32)
        self.n_faces = _u8(d, F.H_N_FACES)
        self.latent_size = _u8(d, F.H_LATENT_SIZE)
        self.out_h = _u8(d, F.H_OUT_H)
        self.out_w = _u8(d, F.H_OUT_W)
        self.out_c = _u8(d, F.H_OUT_C)
        self.n_layers = _u8(d, F.H_N_LAYERS)
        self.layer_size = _u16(d, F.H_LAYER_SIZE)
        self.flags = _u32(d, F.H_FLAGS)
        self.reserved = _u32(d, F.H_RESERVED)


def _header(d):
    n = len(d)
    _require(n >= F.HEADER_SIZE, "header",
             "truncated: {} bytes, the header alone is {}".format(n, F.HEADER_SIZE))
    h = Header(d)

    def at(name, off):
        return "header.{} (offset {})".format(name, off)

    _require(h.magic == F.MAGIC, at("magic", F.H_MAGIC),
             "bad magic {!r}, expected {!r}".format(h.magic, F.MAGIC))  # H1
    _require(h.version == F.VERSION, at("version", F.H_VERSION),
             "unsupported format version {}, this reader knows {}".format(h.version, F.VERSION))  # H2
    _require(h.header_size == F.HEADER_SIZE, at("header_size", F.H_HEADER_SIZE),
             "{}, expected {}".format(h.header_size, F.HEADER_SIZE))  # H3
    _require(h.total_size <= F.MAX_BLOB_SIZE, at("total_size", F.H_TOTAL_SIZE),
             "{} exceeds the maximum {}".format(h.total_size, F.MAX_BLOB_SIZE))  # H4
    _require(h.total_size == n, at("total_size", F.H_TOTAL_SIZE),
             "declares {} bytes but the blob has {} (truncated or torn copy?)".format(h.total_size, n))
    crc = blob_crc(d)
    _require(h.crc32 == crc, at("crc32", F.H_CRC32),
             "CRC mismatch: stored {:#010x}, computed {:#010x}".format(h.crc32, crc))  # H5
    _require(1 <= h.n_faces <= F.MAX_FACES, at("n_faces", F.H_N_FACES),
             "{} not in 1..{}".format(h.n_faces, F.MAX_FACES))  # H6
    _require(h.latent_size == F.LATENT_SIZE, at("latent_size", F.H_LATENT_SIZE),
             "{}, expected {}".format(h.latent_size, F.LATENT_SIZE))  # H7
    _require(1 <= h.out_h <= F.MAX_DIM, at("out_h", F.H_OUT_H),
             "{} not in 1..{}".format(h.out_h, F.MAX_DIM))  # H8
    _require(1 <= h.out_w <= F.MAX_DIM, at("out_w", F.H_OUT_W),
             "{} not in 1..{}".format(h.out_w, F.MAX_DIM))  # H9
    _require(h.out_c == F.OUT_C, at("out_c", F.H_OUT_C), "{}, expected {}".format(h.out_c, F.OUT_C))  # H10
    _require(1 <= h.n_layers <= F.MAX_LAYERS, at("n_layers", F.H_N_LAYERS),
             "{} not in 1..{}".format(h.n_layers, F.MAX_LAYERS))  # H11
    _require(h.layer_size == F.LAYER_SIZE, at("layer_size", F.H_LAYER_SIZE),
             "{}, expected {}".format(h.layer_size, F.LAYER_SIZE))  # H12
    _require(h.flags == 0, at("flags", F.H_FLAGS), "{:#x}, no flags are defined in v1".format(h.flags))  # H13
    _require(h.reserved == 0, at("reserved", F.H_RESERVED), "must be 0")  # H14
    table_end = F.HEADER_SIZE + h.n_layers * F.LAYER_SIZE
    _require(table_end <= n, "layer table",
             "{} layers end at {}, past the blob ({})".format(h.n_layers, table_end, n))
    return h


def _out_dim(kind, n_in, k, s, p, op):
    if kind == F.KIND_CONVT:
        return (n_in - 1) * s - 2 * p + k + op
    return (n_in + 2 * p - k) // s + 1


def _layer(d, h, i, prev):
    base = F.HEADER_SIZE + i * F.LAYER_SIZE
    e = Layer(d, base)

    def at(name, off):
        return "layer {}.{} (offset {})".format(i, name, base + off)

    kind = e.kind
    _require(kind in (F.KIND_FC, F.KIND_CONVT, F.KIND_CONV), at("kind", F.L_KIND),
             "unknown layer kind {}".format(kind))  # L1
    _require(e.act == F.ACT_CLAMP, at("act", F.L_ACT), "unknown activation {}".format(e.act))  # L2
    ci, co, hi, wi, ho, wo = e.in_c, e.out_c, e.in_h, e.in_w, e.out_h, e.out_w
    max_ci = F.MAX_FC_IN if kind == F.KIND_FC else F.MAX_CHANNELS
    _require(1 <= ci <= max_ci, at("in_c", F.L_IN_C), "{} not in 1..{}".format(ci, max_ci))  # L3
    _require(1 <= co <= F.MAX_CHANNELS, at("out_c", F.L_OUT_C),
             "{} not in 1..{}".format(co, F.MAX_CHANNELS))  # L4
    for name, off, v in (("in_h", F.L_IN_H, hi), ("in_w", F.L_IN_W, wi),
                         ("out_h", F.L_OUT_H, ho), ("out_w", F.L_OUT_W, wo)):  # L5-L8
        _require(1 <= v <= F.MAX_DIM, at(name, off), "{} not in 1..{}".format(v, F.MAX_DIM))
    k, s, p, op = e.kernel, e.stride, e.padding, e.output_padding
    if kind == F.KIND_FC:  # L9-L12
        _require(hi == 1 and wi == 1, at("in_h", F.L_IN_H),
                 "a dense layer takes a 1x1 input, not {}x{}".format(hi, wi))
        _require((k, s, p, op) == (1, 1, 0, 0), at("kernel", F.L_KERNEL),
                 "a dense layer has kernel 1, stride 1, padding 0, output_padding 0")
        _require(co * ho * wo <= F.MAX_FC_OUT, at("out_c", F.L_OUT_C),
                 "{}x{}x{} outputs exceed the maximum {}".format(co, ho, wo, F.MAX_FC_OUT))
    else:
        _require(1 <= k <= F.MAX_KERNEL, at("kernel", F.L_KERNEL),
                 "{} not in 1..{}".format(k, F.MAX_KERNEL))
        _require(1 <= s <= F.MAX_STRIDE, at("stride", F.L_STRIDE),
                 "{} not in 1..{}".format(s, F.MAX_STRIDE))
        _require(p < k, at("padding", F.L_PADDING), "{} must be less than the kernel {}".format(p, k))
        max_op = s - 1 if kind == F.KIND_CONVT else 0
        _require(op <= max_op, at("output_padding", F.L_OUTPUT_PADDING),
                 "{} not in 0..{}".format(op, max_op))
        for name, off, n_in, n_out in (("out_h", F.L_OUT_H, hi, ho), ("out_w", F.L_OUT_W, wi, wo)):
            want = _out_dim(kind, n_in, k, s, p, op)
            _require(n_out == want, at(name, off),
                     "{}, but the input size {} gives {}".format(n_out, n_in, want))
    want_type = F.DTYPE_INT8 if i == 0 else F.DTYPE_UINT8
    _require(e.in_type == want_type, at("in_type", F.L_IN_TYPE),
             "{}, expected {}".format(e.in_type, want_type))  # L13
    _require(e.w_layout == F.LAYOUT_OHWI, at("w_layout", F.L_W_LAYOUT),
             "unknown layout {}".format(e.w_layout))  # L14
    _require(e.reserved == 0, at("reserved", F.L_RESERVED), "must be 0")  # L15
    _require((ci, hi, wi) == prev, at("in_c", F.L_IN_C),
             "input {}x{}x{} (CxHxW) does not match the previous output {}x{}x{}".format(
                 ci, hi, wi, prev[0], prev[1], prev[2]))

    n_ch = e.n_ch
    table_end = F.HEADER_SIZE + h.n_layers * F.LAYER_SIZE
    total = len(d)
    for sec, off, size, want, f_off, f_size in (  # L16-L23
            ("w", e.w_off, e.w_size, e.n_weights, F.L_W_OFF, F.L_W_SIZE),
            ("b", e.b_off, e.b_size, 4 * n_ch, F.L_B_OFF, F.L_B_SIZE),
            ("m", e.m_off, e.m_size, 2 * n_ch, F.L_M_OFF, F.L_M_SIZE),
            ("s", e.s_off, e.s_size, n_ch, F.L_S_OFF, F.L_S_SIZE)):
        _require(size == want, at(sec + "_size", f_size),
                 "{} bytes, the shape needs {}".format(size, want))
        _require(off % F.ALIGN == 0, at(sec + "_off", f_off),
                 "{} is not a multiple of {}".format(off, F.ALIGN))
        _require(table_end <= off <= total and size <= total - off, at(sec + "_off", f_off),
                 "section [{}, {}+{}) is outside the payload [{}, {})".format(
                     off, off, size, table_end, total))
    _check_values(d, e, at)
    return e


def _first_bad(d, off, count, step, bad):
    for j in range(count):
        if bad(d, off + j * step):
            return j
    return -1


def _bias_bad(d, o):
    v = _u32(d, o)
    if v & 0x80000000:
        v -= 0x100000000
    return v > F.MAX_BIAS or v < -F.MAX_BIAS


def _mult_bad(d, o):
    return _u16(d, o) < F.MULT_MIN


def _shift_bad(d, o):
    return d[o] > F.MAX_SHIFT


def _check_values(d, e, at):
    """Quantization parameters in range: a check per array, naming the first bad element."""
    n_w, n_ch = e.n_weights, e.n_ch
    j = bytes(d[e.w_off:e.w_off + n_w]).find(b"\x80")
    if j >= 0:
        raise BlobError("{}: element {} ({} in all) is -128; weights are symmetric int8 in "
                        "[-127, 127]".format(at("w_off", F.L_W_OFF), j, n_w))
    for field, f_off, off, step, bad, msg in (
            ("b_off", F.L_B_OFF, e.b_off, 4, _bias_bad, "exceeds +-{}".format(F.MAX_BIAS)),
            ("m_off", F.L_M_OFF, e.m_off, 2, _mult_bad,
             "is below {}, the least multiplier".format(F.MULT_MIN)),
            ("s_off", F.L_S_OFF, e.s_off, 1, _shift_bad, "exceeds {}".format(F.MAX_SHIFT))):
        j = _first_bad(d, off, n_ch, step, bad)
        if j >= 0:
            raise BlobError("{}: element {} ({} in all) {}".format(at(field, f_off), j, n_ch, msg))


def parse(data):
    """Validate a blob; returns (Header, [Layer, ...]) or raises BlobError (a ValueError)."""
    h = _header(data)
    prev = (h.n_faces + h.latent_size, 1, 1)
    layers = []
    for i in range(h.n_layers):
        e = _layer(data, h, i, prev)
        layers.append(e)
        prev = (e.out_c, e.out_h, e.out_w)
    _require(prev == (h.out_c, h.out_h, h.out_w), "layer {}".format(h.n_layers - 1),
             "output {} (CxHxW) is not the declared image {}x{}x{}".format(
                 prev, h.out_c, h.out_h, h.out_w))
    return h, layers
