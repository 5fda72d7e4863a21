# Viper inference: pdinfer_py's row-by-row driver with @micropython.viper row
# kernels (native code compiled on the board, no toolchain needed). Same bytes
# as host/pipdream/reference.py; same API as pipnet.Model; MicroPython only.
#
#   import pdinfer_viper
#   m = pdinfer_viper.Model(blob)
#   m.generate(face, angle_code, out)
#
# The kernels read the blob directly (no copy): int8 weights are sign-extended
# with (b ^ 0x80) - 0x80, biases are assembled from bytes, and requantization
# takes pdinfer_py's SAT_T shortcut, so every intermediate fits a 32-bit
# signed machine word (viper ints are machine words: 32 bits on the boards).
import micropython

import pdinfer_py
from pdinfer_py import P_B, P_CI, P_CO, P_DST, P_K, P_M, P_NR, P_ROWS, P_S, P_SGN, P_W, P_WO, SAT_T

# The P_* slots and SAT_T are pdinfer_py's globals: each kernel turns them into
# machine ints once per call (viper cannot index with a Python object).


@micropython.viper
def conv_row(p: ptr32, blob: ptr8, src: ptr8, dst: ptr8, ctab: ptr8):
    # p holds small non-negative ints, so ptr32's zero extension on 64-bit hosts is harmless.
    ci = int(p[int(P_CI)])
    co = int(p[int(P_CO)])
    wo = int(p[int(P_WO)])
    k = int(p[int(P_K)])
    sgn = int(p[int(P_SGN)])
    w_off = int(p[int(P_W)])
    b_off = int(p[int(P_B)])
    m_off = int(p[int(P_M)])
    s_off = int(p[int(P_S)])
    nr = int(p[int(P_NR)])
    o = int(p[int(P_DST)])
    rows = int(P_ROWS)
    sat = int(SAT_T)
    cs = 1 + 2 * k
    ox = 0
    while ox < wo:
        ct = ox * cs
        nc = int(ctab[ct])
        oc = 0
        while oc < co:
            bo = b_off + 4 * oc
            hi = int(blob[bo + 3])
            if hi > 127:
                hi -= 256
            acc = int(blob[bo]) | (int(blob[bo + 1]) << 8) | (int(blob[bo + 2]) << 16) | (hi << 24)
            r = 0
            while r < nr:
                ky = int(p[rows + 2 * r])
                rb = int(p[rows + 2 * r + 1])
                j = 0
                while j < nc:
                    a = rb + int(ctab[ct + 2 + 2 * j]) * ci
                    wb = w_off + ((oc * k + ky) * k + int(ctab[ct + 1 + 2 * j])) * ci
                    c = 0
                    if sgn:
                        while c < ci:
                            acc += ((int(src[a + c]) ^ 0x80) - 0x80) * ((int(blob[wb + c]) ^ 0x80) - 0x80)
                            c += 1
                    else:
                        while c < ci:
                            acc += int(src[a + c]) * ((int(blob[wb + c]) ^ 0x80) - 0x80)
                            c += 1
                    j += 1
                r += 1
            # requantize (pdinfer_py._requant)
            y = 0
            if acc > 0:
                sh = int(blob[s_off + oc])
                t = (acc + ((1 << sh) >> 1)) >> sh
                y = 255
                if t < sat:
                    mo = m_off + 2 * oc
                    y = (t * (int(blob[mo]) | (int(blob[mo + 1]) << 8)) + 32768) >> 16
                    if y > 255:
                        y = 255
            dst[o] = y
            o += 1
            oc += 1
        ox += 1


@micropython.viper
def fc_row(p: ptr32, blob: ptr8, src: ptr8, dst: ptr8):
    ci = int(p[int(P_CI)])
    n = int(p[int(P_CO)])
    j = int(p[int(P_NR)])
    o = int(p[int(P_DST)])
    a = int(p[int(P_ROWS)])
    sgn = int(p[int(P_SGN)])
    w_off = int(p[int(P_W)])
    b_off = int(p[int(P_B)])
    m_off = int(p[int(P_M)])
    s_off = int(p[int(P_S)])
    sat = int(SAT_T)
    end = j + n
    while j < end:
        bo = b_off + 4 * j
        hi = int(blob[bo + 3])
        if hi > 127:
            hi -= 256
        acc = int(blob[bo]) | (int(blob[bo + 1]) << 8) | (int(blob[bo + 2]) << 16) | (hi << 24)
        wb = w_off + j * ci
        c = 0
        while c < ci:
            x = int(src[a + c])
            if sgn:
                x = (x ^ 0x80) - 0x80
            acc += x * ((int(blob[wb + c]) ^ 0x80) - 0x80)
            c += 1
        y = 0
        if acc > 0:
            sh = int(blob[s_off + j])
            t = (acc + ((1 << sh) >> 1)) >> sh
            y = 255
            if t < sat:
                mo = m_off + 2 * j
                y = (t * (int(blob[mo]) | (int(blob[mo + 1]) << 8)) + 32768) >> 16
                if y > 255:
                    y = 255
        dst[o] = y
        o += 1
        j += 1


class Model(pdinfer_py.Model):
    """pdinfer_py.Model with native row kernels."""

    backend = "viper"

    def __init__(self, blob):
        super().__init__(blob)
        self._conv = conv_row
        self._fc = fc_row

    def _weights(self, blob):
        return blob  # the kernels read the blob's bytes and sign-extend themselves
