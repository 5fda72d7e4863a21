# The blob parser: every check of the format, with its message, written once for
# MicroPython, CircuitPython and CPython (no numpy). The host's reader
# (host/pipdream/blob/reader.py) runs this module and builds its arrays on top.
#
#   import pdblob
#   header, layers = pdblob.parse(open("model.blob", "rb").read())   # BlobError on any defect
#
# Constants, field offsets and widths come from pdformat.py (generated from
# host/pipdream/blob/format.py): each record is read with its struct format.

import struct

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
    """CRC32 over the whole blob except the crc field."""
    mv = memoryview(data)
    f = _crc32 or _crc32_py
    crc = f(mv[:F.CRC_OFFSET])
    return f(mv[F.CRC_OFFSET + F.CRC_WIDTH:], crc) & 0xFFFFFFFF


def _require(ok, at, name, msg):
    """BlobError "<where>: <msg>" unless ok. where is at(name), the field name with its offset
    (made only on failure: a valid blob parses without building these strings), or name
    itself when at is None."""
    if not ok:
        raise BlobError((at(name) if at else name) + ": " + msg)


class _Record:
    """The fields of one record (fmt: its struct format, names: its field names in order)
    as attributes."""

    def __init__(self, d, base, fmt, names):
        values = struct.unpack_from(fmt, d, base)
        j = 0
        for name in names.split():
            setattr(self, name, values[j])
            j += 1


class Layer(_Record):
    """One layer table entry (validated by parse); payload sections are byte offsets into
    the blob."""

    def __init__(self, d, base):
        _Record.__init__(self, d, base, F.LAYER_FORMAT, F.LAYER_NAMES)

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


class Header(_Record):
    """The header fields (validated by parse)."""

    def __init__(self, d):
        _Record.__init__(self, d, 0, F.HEADER_FORMAT, F.HEADER_NAMES)


def _header(d):
    n = len(d)
    _require(n >= F.HEADER_SIZE, None, "header",
             "truncated: {} bytes, the header alone is {}".format(n, F.HEADER_SIZE))
    h = Header(d)

    def at(name):  # where a check failed: the field and its offset (pdformat.H_<NAME>)
        return "header.{} (offset {})".format(name, getattr(F, "H_" + name.upper()))

    _require(h.magic == F.MAGIC, at, "magic",
             "bad magic {!r}, expected {!r}".format(h.magic, F.MAGIC))  # H1
    _require(h.version == F.VERSION, at, "version",
             "unsupported format version {}, this reader knows {}".format(h.version, F.VERSION))  # H2
    _require(h.header_size == F.HEADER_SIZE, at, "header_size",
             "{}, expected {}".format(h.header_size, F.HEADER_SIZE))  # H3
    _require(h.total_size <= F.MAX_BLOB_SIZE, at, "total_size",
             "{} exceeds the maximum {}".format(h.total_size, F.MAX_BLOB_SIZE))  # H4
    _require(h.total_size == n, at, "total_size",
             "declares {} bytes but the blob has {} (truncated or torn copy?)".format(h.total_size, n))
    crc = blob_crc(d)
    _require(h.crc32 == crc, at, "crc32",
             "CRC mismatch: stored {:#010x}, computed {:#010x}".format(h.crc32, crc))  # H5
    _require(1 <= h.n_faces <= F.MAX_FACES, at, "n_faces",
             "{} not in 1..{}".format(h.n_faces, F.MAX_FACES))  # H6
    _require(h.latent_size == F.LATENT_SIZE, at, "latent_size",
             "{}, expected {}".format(h.latent_size, F.LATENT_SIZE))  # H7
    _require(1 <= h.out_h <= F.MAX_DIM, at, "out_h",
             "{} not in 1..{}".format(h.out_h, F.MAX_DIM))  # H8
    _require(1 <= h.out_w <= F.MAX_DIM, at, "out_w",
             "{} not in 1..{}".format(h.out_w, F.MAX_DIM))  # H9
    _require(h.out_c == F.OUT_C, at, "out_c", "{}, expected {}".format(h.out_c, F.OUT_C))  # H10
    _require(1 <= h.n_layers <= F.MAX_LAYERS, at, "n_layers",
             "{} not in 1..{}".format(h.n_layers, F.MAX_LAYERS))  # H11
    _require(h.layer_size == F.LAYER_SIZE, at, "layer_size",
             "{}, expected {}".format(h.layer_size, F.LAYER_SIZE))  # H12
    _require(h.flags & ~F.FLAGS_KNOWN == 0, at, "flags",
             "{:#x} has bits this reader does not know (known: {:#x})".format(h.flags, F.FLAGS_KNOWN))  # H13
    _require(not h.flags & F.FLAG_MIRROR_FOLD or h.n_faces == F.N_FACES, at, "flags",
             "the mirror fold needs the {} die faces, not {}".format(F.N_FACES, h.n_faces))
    _require(h.reserved == 0, at, "reserved", "must be 0")  # H14
    table_end = F.HEADER_SIZE + h.n_layers * F.LAYER_SIZE
    _require(table_end <= n, None, "layer table",
             "{} layers end at {}, past the blob ({})".format(h.n_layers, table_end, n))
    return h


def out_dim(kind, n_in, k, s, p, op):
    """Output size along one axis of a conv or transposed conv layer (kernel k, stride s,
    padding p, output padding op): what a layer's out_h and out_w must be."""
    if kind == F.KIND_CONVT:
        return (n_in - 1) * s - 2 * p + k + op
    return (n_in + 2 * p - k) // s + 1


def _layer(d, h, i, prev):
    base = F.HEADER_SIZE + i * F.LAYER_SIZE
    e = Layer(d, base)

    def at(name):  # where a check failed: the field and its offset (pdformat.L_<NAME>)
        return "layer {}.{} (offset {})".format(i, name, base + getattr(F, "L_" + name.upper()))

    kind = e.kind
    _require(kind in (F.KIND_FC, F.KIND_CONVT, F.KIND_CONV), at, "kind",
             "unknown layer kind {}".format(kind))  # L1
    _require(e.act == F.ACT_CLAMP, at, "act", "unknown activation {}".format(e.act))  # L2
    ci, co, hi, wi, ho, wo = e.in_c, e.out_c, e.in_h, e.in_w, e.out_h, e.out_w
    max_ci = F.MAX_FC_IN if kind == F.KIND_FC else F.MAX_CHANNELS
    _require(1 <= ci <= max_ci, at, "in_c", "{} not in 1..{}".format(ci, max_ci))  # L3
    _require(1 <= co <= F.MAX_CHANNELS, at, "out_c",
             "{} not in 1..{}".format(co, F.MAX_CHANNELS))  # L4
    for name, v in (("in_h", hi), ("in_w", wi), ("out_h", ho), ("out_w", wo)):  # L5-L8
        _require(1 <= v <= F.MAX_DIM, at, name, "{} not in 1..{}".format(v, F.MAX_DIM))
    k, s, p, op = e.kernel, e.stride, e.padding, e.output_padding
    if kind == F.KIND_FC:  # L9-L12
        _require(hi == 1 and wi == 1, at, "in_h",
                 "a dense layer takes a 1x1 input, not {}x{}".format(hi, wi))
        _require((k, s, p, op) == (1, 1, 0, 0), at, "kernel",
                 "a dense layer has kernel 1, stride 1, padding 0, output_padding 0")
        _require(co * ho * wo <= F.MAX_FC_OUT, at, "out_c",
                 "{}x{}x{} outputs exceed the maximum {}".format(co, ho, wo, F.MAX_FC_OUT))
    else:
        _require(1 <= k <= F.MAX_KERNEL, at, "kernel",
                 "{} not in 1..{}".format(k, F.MAX_KERNEL))
        _require(1 <= s <= F.MAX_STRIDE, at, "stride",
                 "{} not in 1..{}".format(s, F.MAX_STRIDE))
        _require(p < k, at, "padding", "{} must be less than the kernel {}".format(p, k))
        max_op = s - 1 if kind == F.KIND_CONVT else 0
        _require(op <= max_op, at, "output_padding",
                 "{} not in 0..{}".format(op, max_op))
        for name, n_in, n_out in (("out_h", hi, ho), ("out_w", wi, wo)):
            want = out_dim(kind, n_in, k, s, p, op)
            _require(n_out == want, at, name,
                     "{}, but the input size {} gives {}".format(n_out, n_in, want))
    want_type = F.DTYPE_INT8 if i == 0 else F.DTYPE_UINT8
    _require(e.in_type == want_type, at, "in_type",
             "{}, expected {}".format(e.in_type, want_type))  # L13
    _require(e.w_layout == F.LAYOUT_OHWI, at, "w_layout",
             "unknown layout {}".format(e.w_layout))  # L14
    _require(e.reserved == 0, at, "reserved", "must be 0")  # L15
    _require((ci, hi, wi) == prev, at, "in_c",
             "input {}x{}x{} (CxHxW) does not match the previous output {}x{}x{}".format(
                 ci, hi, wi, prev[0], prev[1], prev[2]))

    n_ch = e.n_ch
    table_end = F.HEADER_SIZE + h.n_layers * F.LAYER_SIZE
    total = len(d)
    for f_off, f_size, off, size, count, width in (  # L16-L23
            ("w_off", "w_size", e.w_off, e.w_size, e.n_weights, F.WEIGHT_WIDTH),
            ("b_off", "b_size", e.b_off, e.b_size, n_ch, F.BIAS_WIDTH),
            ("m_off", "m_size", e.m_off, e.m_size, n_ch, F.MULT_WIDTH),
            ("s_off", "s_size", e.s_off, e.s_size, n_ch, F.SHIFT_WIDTH)):
        want = count * width
        _require(size == want, at, f_size, "{} bytes, the shape needs {}".format(size, want))
        _require(off % F.ALIGN == 0, at, f_off, "{} is not a multiple of {}".format(off, F.ALIGN))
        _require(table_end <= off <= total and size <= total - off, at, f_off,
                 "section [{}, {}+{}) is outside the payload [{}, {})".format(
                     off, off, size, table_end, total))
    _check_values(d, e, at)
    return e


def _uint(d, o, width):
    """The little-endian unsigned integer of `width` bytes at d[o]."""
    v = 0
    while width:
        width -= 1
        v = v << 8 | d[o + width]
    return v


_BIAS_WRAP = 1 << 8 * F.BIAS_WIDTH  # a bias read unsigned: u >= _BIAS_WRAP / 2 is u - _BIAS_WRAP


def _bias_bad(u):  # |bias| > MAX_BIAS, on the two's complement bits
    return F.MAX_BIAS < u < _BIAS_WRAP - F.MAX_BIAS


def _mult_bad(u):
    return u < F.MULT_MIN


def _shift_bad(u):
    return u > F.MAX_SHIFT


def _check_values(d, e, at):
    """Quantization parameters in range: a check per array, naming the first bad element."""
    n_w, n_ch = e.n_weights, e.n_ch
    j = bytes(d[e.w_off:e.w_off + n_w]).find(b"\x80")
    if j >= 0:
        raise BlobError("{}: element {} ({} in all) is -128; weights are symmetric int8 in "
                        "[-127, 127]".format(at("w_off"), j, n_w))
    for field, off, width, bad, msg, limit in (
            ("b_off", e.b_off, F.BIAS_WIDTH, _bias_bad, "exceeds +-{}", F.MAX_BIAS),
            ("m_off", e.m_off, F.MULT_WIDTH, _mult_bad, "is below {}, the least multiplier", F.MULT_MIN),
            ("s_off", e.s_off, F.SHIFT_WIDTH, _shift_bad, "exceeds {}", F.MAX_SHIFT)):
        for j in range(n_ch):
            if bad(_uint(d, off + j * width, width)):
                raise BlobError("{}: element {} ({} in all) ".format(at(field), j, n_ch)
                                + msg.format(limit))


def fold(flags, face, angle_code):
    """The mirror fold (docs/arithmetic.md): for a die of `face` at `angle_code`, the code
    the layers run, times 2, plus 1 when that image is shown mirrored left-right (one small
    int: no tuple, so the roll loop allocates nothing). Without FLAG_MIRROR_FOLD in `flags`:
    the code itself, not mirrored."""
    a = angle_code
    if not flags & F.FLAG_MIRROR_FOLD:
        return a << 1
    if F.FOLD_SQUARE_FACES >> face & 1:  # a quarter turn and the mirror: [0, FOLD_QUARTER]
        m = 1 if a < 0 else 0
        if m:
            a = -a
        if a > F.FOLD_QUARTER:
            return (F.ANGLE_CODE_MAX - a) << 1 | (1 - m)
        return a << 1 | m
    if F.FOLD_DIAGONAL_FACES >> face & 1:  # mirror: a -> 127 - a, [-FOLD_QUARTER, FOLD_QUARTER]
        if a > F.FOLD_QUARTER:
            return (F.ANGLE_CODE_MAX - a) << 1 | 1
        if a < -F.FOLD_QUARTER:
            return (-F.ANGLE_CODE_MAX - a) << 1 | 1
        return a << 1
    if a < 0:  # two columns: mirror a -> -a, [0, 127]
        return -a << 1 | 1
    return a << 1


def parse(data):
    """Validate a blob; returns (Header, [Layer, ...]) or raises BlobError (a ValueError)."""
    h = _header(data)
    prev = (h.n_faces + h.latent_size, 1, 1)
    layers = []
    for i in range(h.n_layers):
        e = _layer(data, h, i, prev)
        layers.append(e)
        prev = (e.out_c, e.out_h, e.out_w)
    _require(prev == (h.out_c, h.out_h, h.out_w), None, "layer {}".format(h.n_layers - 1),
             "output {} (CxHxW) is not the declared image {}x{}x{}".format(
                 prev, h.out_c, h.out_h, h.out_w))
    return h, layers
