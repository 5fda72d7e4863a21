# Pure-Python integer inference: the same bytes as host/pipdream/reference.py,
# on MicroPython, CircuitPython and CPython. pdinfer_viper.py reuses this driver
# with native (@micropython.viper) row kernels.
#
#   import pdinfer_py
#   m = pdinfer_py.Model(open("model.blob", "rb").read())   # pdblob.BlobError if malformed
#   out = bytearray(32 * 32)
#   m.generate(face, angle_code, out)         # face 1..6, angle_code -127..127
#   m.generate_rows(face, angle_code, cb)     # cb(row, col0, pixels) for each image row
#
# Depth first, row by row: each layer keeps only the rows its consumer still
# needs in a small ring (row y in slot y % ring), and output rows are final as
# soon as they are computed. Every output value is computed once, so the MACs
# are those of a layer-by-layer pass. All buffers are allocated here, in
# __init__; generate() allocates nothing (on MicroPython).
from array import array

import pdblob
import pdformat as F

# ---- the per-layer parameter block p (array of int32), shared with the viper kernels
P_CI = 0  # input channels
P_CO = 1  # conv: output channels; fc: output values per row (out_w * out_c)
P_WO = 2  # output width (conv)
P_K = 3  # kernel (conv)
P_SGN = 4  # 1: int8 input (the first layer), 0: uint8
P_W = 5  # blob offsets: int8 weights, int32 biases, uint16 multipliers, uint8 shifts
P_B = 6
P_M = 7
P_S = 8
P_NR = 9  # per call, conv: number of row taps; fc: first channel of the row
P_DST = 10  # per call: offset of the output row in dst
P_ROWS = 11  # per call, conv: (ky, offset of input row iy in src) pairs
P_SIZE = P_ROWS + 2 * F.MAX_KERNEL

# Requantization shortcut: with mult >= MULT_MIN, any t >= SAT_T gives
# (t * mult + 2^15) >> 16 >= 256, i.e. 255; below it t * mult < 2^28 stays a small int.
SAT_T = (1 << 24) // F.MULT_MIN


def tap_inputs(kind, o, n_in, k, s, p):
    """(tap, input index) pairs feeding output index o along one axis; the host's reference
    uses this function too (pipdream.blob.model.tap_inputs).

    conv:  i = o*s - p + t.   convT: o = i*s - p + t, so i = (o + p - t) / s when exact;
    a transposed convolution is thus computed per output phase, never on inserted zeros.
    """
    out = []
    for t in range(k):
        if kind == F.KIND_CONVT:
            num = o + p - t
            if num % s or not 0 <= num // s < n_in:
                continue
            out.append((t, num // s))
        else:
            i = o * s - p + t
            if 0 <= i < n_in:
                out.append((t, i))
    return out


def _tap_table(kind, n_out, n_in, k, s, p):
    """Taps per output index as bytes, stride 1 + 2k: [count, t0, i0, t1, i1, ...]."""
    stride = 1 + 2 * k
    tab = bytearray(n_out * stride)
    for o in range(n_out):
        taps = tap_inputs(kind, o, n_in, k, s, p)
        tab[o * stride] = len(taps)
        for j, (t, i) in enumerate(taps):
            tab[o * stride + 1 + 2 * j] = t
            tab[o * stride + 2 + 2 * j] = i
    return tab


def _bias(w, o):
    # int32 little-endian from the weights source (signed or unsigned bytes).
    hi = w[o + 3] & 255
    if hi > 127:
        hi -= 256
    return (w[o] & 255) | (w[o + 1] & 255) << 8 | (w[o + 2] & 255) << 16 | hi << 24


def _requant(acc, w, p, ch):
    if acc <= 0:
        return 0
    sh = w[p[P_S] + ch] & 255
    t = (acc + ((1 << sh) >> 1)) >> sh
    if t >= SAT_T:
        return 255
    mo = p[P_M] + 2 * ch
    y = (t * ((w[mo] & 255) | (w[mo + 1] & 255) << 8) + 32768) >> 16
    return 255 if y > 255 else y


def conv_row(p, w, src, dst, ctab):
    """One output row of a conv or transposed conv layer (taps from the tables).

    p: parameter block; w: signed bytes of the whole blob (array 'b');
    src: input (HWC rows at the offsets in p); dst: output row at p[P_DST], HWC.
    """
    # (one name per line: unpacking more than 3 values builds a tuple on MicroPython)
    ci = p[P_CI]
    co = p[P_CO]
    wo = p[P_WO]
    k = p[P_K]
    w_off = p[P_W]
    b_off = p[P_B]
    nr = p[P_NR]
    o = p[P_DST]
    sgn = p[P_SGN]
    cs = 1 + 2 * k
    for ox in range(wo):
        ct = ox * cs
        nc = ctab[ct]
        for oc in range(co):
            acc = _bias(w, b_off + 4 * oc)
            for r in range(nr):
                ky = p[P_ROWS + 2 * r]
                rb = p[P_ROWS + 2 * r + 1]
                for j in range(nc):
                    a = rb + ctab[ct + 2 + 2 * j] * ci
                    wb = w_off + ((oc * k + ky) * k + ctab[ct + 1 + 2 * j]) * ci
                    if sgn:
                        for c in range(ci):
                            x = src[a + c]
                            acc += (x - 256 if x > 127 else x) * w[wb + c]
                    else:
                        for c in range(ci):
                            acc += src[a + c] * w[wb + c]
            dst[o] = _requant(acc, w, p, oc)
            o += 1


def fc_row(p, w, src, dst):
    """One output row of a dense layer: values p[P_NR] .. p[P_NR] + p[P_CO] (HWC order),
    from the input vector at src[p[P_ROWS]:]."""
    ci = p[P_CI]
    n = p[P_CO]
    j0 = p[P_NR]
    o = p[P_DST]
    w_off = p[P_W]
    b_off = p[P_B]
    sgn = p[P_SGN]
    a = p[P_ROWS]
    for j in range(j0, j0 + n):
        acc = _bias(w, b_off + 4 * j)
        wb = w_off + j * ci
        for c in range(ci):
            x = src[a + c]
            if sgn and x > 127:
                x -= 256
            acc += x * w[wb + c]
        dst[o] = _requant(acc, w, p, j)
        o += 1


def _said(fmt, a, b, c=None):
    """fmt with the values, or fmt itself where the heap has no room for the text (under
    micropython.heap_lock(): the error stays the declared one, not a MemoryError)."""
    try:
        return fmt.format(a, b) if c is None else fmt.format(a, b, c)
    except MemoryError:
        return fmt


def _reverse(buf, off, n):
    """Reverse buf[off:off + n] in place (a row of a mirrored image; slices would allocate)."""
    i, j = off, off + n - 1
    while i < j:
        buf[i], buf[j] = buf[j], buf[i]
        i += 1
        j -= 1


_BUSY = "this Model is generating in another thread: give each thread its own Model"
_REUSED = "the model was used inside its own generate_rows callback or by another thread"


class Model:
    """A validated blob ready to draw images; the API of the natmod's pipnet.Model."""

    backend = "python"

    def __init__(self, blob):
        if not isinstance(blob, bytes):
            blob = bytes(memoryview(blob))  # an immutable copy (TypeError if not a buffer)
        self._blob = blob
        self._busy = False  # a generation runs (_enter)
        self._epoch = 0  # generations begun: generate_rows sees one made during its callback
        self._w = self._weights(blob)  # the largest buffer first, before parsing fragments the heap
        h, layers = pdblob.parse(blob)
        self._h = h
        self._layers = layers
        n = len(layers)
        # Input of layer 0: one-hot face * 127 and the angle code, int8 bytes.
        self._x = bytearray(h.n_faces + h.latent_size)
        self._p, self._rtab, self._ctab = [], [], []
        self._ring = [1] * n  # rows kept of each layer's output
        for i, e in enumerate(layers):
            p = array("i", [0] * P_SIZE)
            p[P_CI] = e.in_c
            p[P_SGN] = 1 if e.in_type == F.DTYPE_INT8 else 0
            p[P_W], p[P_B], p[P_M], p[P_S] = e.w_off, e.b_off, e.m_off, e.s_off
            if e.kind == F.KIND_FC:
                p[P_CO] = e.out_w * e.out_c
                rtab = ctab = None
            else:
                p[P_CO], p[P_WO], p[P_K] = e.out_c, e.out_w, e.kernel
                args = (e.kernel, e.stride, e.padding)
                rtab = _tap_table(e.kind, e.out_h, e.in_h, *args)
                ctab = _tap_table(e.kind, e.out_w, e.in_w, *args)
                if i > 0:
                    self._ring[i - 1] = self._window(rtab, e.out_h, e.kernel)
            self._p.append(p)
            self._rtab.append(rtab)
            self._ctab.append(ctab)
        # Rings of layers 0 .. n-2 in one scratch buffer; the last layer writes to out.
        self._row_bytes = [e.out_w * e.out_c for e in layers]
        self._off = [0] * n
        total = 0
        for i in range(n - 1):
            self._off[i] = total
            total += self._ring[i] * self._row_bytes[i]
        self._scratch = bytearray(total)
        self._done = [0] * n  # rows produced so far, per layer
        self._mirror = 0  # this image is mirrored (pdblob.fold)
        self._row = bytearray(h.out_w)  # the row handed to generate_rows callbacks
        self._conv = conv_row
        self._fc = fc_row

    # -- hooks for the viper subclass
    def _weights(self, blob):
        return array("b", blob)  # signed view of every byte; the tables index it by offset

    @staticmethod
    def _window(rtab, n_out, k):
        """Input rows a layer needs at once: the ring size of its producer."""
        cs, most = 1 + 2 * k, 1
        for o in range(n_out):
            n = rtab[o * cs]
            if n:
                lo = hi = rtab[o * cs + 2]
                for j in range(1, n):
                    iy = rtab[o * cs + 2 + 2 * j]
                    lo, hi = min(lo, iy), max(hi, iy)
                most = max(most, hi - lo + 1)
        return most

    # -- generation
    def _check(self, face, angle_code, out, n):
        # The natmod's checks and messages: an int of any size (bool is not one), in range.
        if isinstance(face, bool) or not isinstance(face, int):
            raise TypeError("face must be an integer")
        if isinstance(angle_code, bool) or not isinstance(angle_code, int):
            raise TypeError("angle_code must be an integer")
        if not 1 <= face <= self._h.n_faces:
            raise ValueError(_said("face {} not in 1..{}", face, self._h.n_faces))
        if not -F.ANGLE_CODE_MAX <= angle_code <= F.ANGLE_CODE_MAX:
            raise ValueError(_said("angle_code {} not in {}..{}", angle_code, -F.ANGLE_CODE_MAX,
                                   F.ANGLE_CODE_MAX))
        if out is not None:
            if len(out) < n:
                raise ValueError(_said("out holds {} bytes, it needs at least {}", len(out), n))
            try:
                out[0] = out[0]  # before any work: a read-only out is refused here
            except TypeError:
                raise TypeError("out is read-only: pass a writable buffer such as a bytearray")
        x = self._x
        for j in range(len(x)):
            x[j] = 0
        x[face - 1] = F.ONE_HOT_CODE
        folded = pdblob.fold(self._h.flags, face, angle_code)
        x[self._h.n_faces] = (folded >> 1) & 255
        self._mirror = folded & 1
        done = self._done
        for i in range(len(done)):
            done[i] = 0

    def _produce(self, i, y):
        """Make rows 0..y of layer i (not the last) present in its ring."""
        done = self._done
        while done[i] <= y:
            r = done[i]
            self._compute(i, r, self._scratch, self._off[i] + (r % self._ring[i]) * self._row_bytes[i])
            done[i] = r + 1

    def _compute(self, i, y, dst, dst_off):
        """Row y of layer i into dst at dst_off."""
        p = self._p[i]
        p[P_DST] = dst_off
        if i == 0:  # the encoded input vector
            src = self._x
            src_off = row_bytes = 0
            ring = 1
        else:  # the ring of layer i - 1
            src = self._scratch
            src_off = self._off[i - 1]
            ring = self._ring[i - 1]
            row_bytes = self._row_bytes[i - 1]
        rtab = self._rtab[i]
        if rtab is None:  # dense: all inputs are input row 0
            if i > 0:
                self._produce(i - 1, 0)
            p[P_NR] = y * p[P_CO]
            p[P_ROWS] = src_off
            self._fc(p, self._w, src, dst)
            return
        k = p[P_K]
        b = y * (1 + 2 * k)
        n = rtab[b]
        hi = -1
        for r in range(n):
            iy = rtab[b + 2 + 2 * r]
            if iy > hi:
                hi = iy
            p[P_ROWS + 2 * r] = rtab[b + 1 + 2 * r]
            p[P_ROWS + 2 * r + 1] = src_off + (iy % ring) * row_bytes
        if i > 0 and hi >= 0:
            self._produce(i - 1, hi)  # rows lo..hi now sit in their ring slots
        p[P_NR] = n
        self._conv(p, self._w, src, dst, self._ctab[i])

    def generate(self, face, angle_code, out):
        """Write the out_h * out_w image (HWC, uint8) for (face, angle_code) into out."""
        h = self._h
        self._enter()
        try:
            self._check(face, angle_code, out, h.out_h * h.out_w)
            last = len(self._layers) - 1
            for y in range(h.out_h):
                self._compute(last, y, out, y * h.out_w)
                if self._mirror:
                    _reverse(out, y * h.out_w, h.out_w)
        finally:
            self._busy = False

    def generate_rows(self, face, angle_code, callback):
        """callback(row, col0, pixels) for each image row as soon as it is final.

        pixels is one bytearray reused for every row: copy it to keep it."""
        h = self._h
        self._enter()
        try:
            self._check(face, angle_code, None, 0)
        except Exception:
            self._busy = False
            raise
        epoch = self._epoch
        last = len(self._layers) - 1
        row = self._row
        for y in range(h.out_h):
            if y:  # not held during a callback (an exception there leaves the Model usable): take it again
                if self._busy:
                    raise RuntimeError(_BUSY)
                self._busy = True
                if self._epoch != epoch:  # another generation ran meanwhile: the rings hold its rows
                    self._busy = False
                    raise RuntimeError(_REUSED)
            self._compute(last, y, row, 0)
            if self._mirror:
                _reverse(row, 0, h.out_w)
            self._busy = False
            callback(y, 0, row)

    def _enter(self):
        """The Model to this caller, or RuntimeError: a generation in another thread shares the
        scratch and would make wrong images (the natmod's rule; no atomic test-and-set here)."""
        if self._busy:
            raise RuntimeError(_BUSY)
        self._busy = True
        self._epoch += 1

    def info(self):
        """Layers, parameters, MACs per image and scratch bytes of this backend."""
        macs = 0
        for i, e in enumerate(self._layers):
            if e.kind == F.KIND_FC:
                macs += e.n_weights
            else:
                k = e.kernel
                ty = sum(self._rtab[i][o * (1 + 2 * k)] for o in range(e.out_h))
                tx = sum(self._ctab[i][o * (1 + 2 * k)] for o in range(e.out_w))
                macs += e.in_c * e.out_c * ty * tx
        return {
            "backend": self.backend,
            "layers": len(self._layers),
            "params": sum(e.params for e in self._layers),
            "faces": self._h.n_faces,
            "image": (self._h.out_h, self._h.out_w),
            "plan": "rows",
            "macs": macs,
            "scratch": len(self._scratch) + len(self._x) + len(self._row),
        }
