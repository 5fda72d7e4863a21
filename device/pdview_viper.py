# pdview's drawing as @micropython.viper code (native code compiled on the board, no toolchain):
# byte for byte what pdview's Python writes, for boards without the pipnet natmod. pdview.use()
# picks it; pdview checks the arguments before calling (these functions trust them).
#
#   render_die(img, out, off, stride, scale, mode, threshold) -> bytes changed
#   render_digit(d, out, off, stride, scale) -> bytes changed
#   clear_box(out, off, stride, w, pages) -> bytes changed
import micropython

from pdview import BAYER4, DIGIT_W, DIGITS, OUT_H, OUT_W

_BAYER4 = bytes(BAYER4)


@micropython.viper
def _put_doubled(out: ptr8, o: int, stride: int, b: int) -> int:
    """Column byte b at scale 2: its low nibble doubled into out[o], out[o + 1], its high one into
    the next page's two bytes; how many of the four changed."""
    lo = (b & 1) * 3 | (b & 2) * 6 | (b & 4) * 12 | (b & 8) * 24
    h = b >> 4
    hi = (h & 1) * 3 | (h & 2) * 6 | (h & 4) * 12 | (h & 8) * 24
    changed = 0
    for k in range(4):
        q = o + (k & 1) + (k >> 1) * stride
        v = hi if k >> 1 else lo
        if int(out[q]) != v:
            out[q] = v
            changed += 1
    return changed


@micropython.viper
def _threshold_2(img: ptr8, out: ptr8, off: int, stride: int, threshold: int) -> int:
    changed = 0
    w = int(OUT_W)
    c = 0
    while c < w:
        p = 0
        while p < int(OUT_H) >> 3:
            i = (p << 3) * w + c
            b = 0
            bit = 0
            while bit < 8:
                if int(img[i]) >= threshold:
                    b |= 1 << bit
                i += w
                bit += 1
            changed += int(_put_doubled(out, off + 2 * p * stride + 2 * c, stride, b))
            p += 1
        c += 1
    return changed


@micropython.viper
def _generic(img: ptr8, out: ptr8, off: int, stride: int, params: int) -> int:
    # params: scale | mode << 4 | threshold << 8
    scale = params & 15
    bayer_mode = (params >> 4) & 1
    threshold = params >> 8
    bayer = ptr8(_BAYER4)
    w = int(OUT_W)
    size = w * scale
    changed = 0
    col = 0
    col_rep = 0
    x = 0
    while x < size:
        xm = x & 3
        src = col
        row_rep = 0
        page = 0
        while page < size >> 3:
            b = 0
            bit = 0
            while bit < 8:
                v = int(img[src])
                if bayer_mode:
                    on = ((v + 8) >> 4) > int(bayer[((bit & 3) << 2) | xm])
                else:
                    on = v >= threshold
                if on:
                    b |= 1 << bit
                row_rep += 1
                if row_rep == scale:
                    row_rep = 0
                    src += w
                bit += 1
            o = off + page * stride + x
            if int(out[o]) != b:
                out[o] = b
                changed += 1
            page += 1
        col_rep += 1
        if col_rep == scale:
            col_rep = 0
            col += 1
        x += 1
    return changed


def render_die(img, out, off, stride, scale, mode, threshold):
    if mode == 0 and scale == 2:
        return _threshold_2(img, out, off, stride, threshold)
    return _generic(img, out, off, stride, scale | mode << 4 | threshold << 8)


@micropython.viper
def _digit(glyph: ptr8, out: ptr8, off: int, stride: int, scale: int) -> int:
    changed = 0
    i = 0
    while i < int(DIGIT_W):
        col = int(glyph[i])
        if scale == 1:
            if int(out[off + i]) != col:
                out[off + i] = col
                changed += 1
        else:
            changed += int(_put_doubled(out, off + 2 * i, stride, col))
        i += 1
    return changed


def render_digit(d, out, off, stride, scale):
    return _digit(_GLYPHS[d], out, off, stride, scale)


_GLYPHS = [DIGITS[d * DIGIT_W: (d + 1) * DIGIT_W] for d in range(10)]


@micropython.viper
def clear_box(out: ptr8, off: int, stride: int, w: int, pages: int) -> int:
    changed = 0
    p = 0
    while p < pages:
        o = off + p * stride
        x = 0
        while x < w:
            if int(out[o + x]) != 0:
                out[o + x] = 0
                changed += 1
            x += 1
        p += 1
    return changed
