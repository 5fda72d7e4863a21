"""What the die looks like on a 1-bit SSD1306: pure drawing functions plus a small View.

The model gives a 32x32 greyscale image (bytes, row-major, 0 = black, 255 = white).
It is drawn into the display's page buffer (MONO_VLSB: byte [page * stride + x],
bit n = row 8 * page + n) inside a window of 32 * scale pixels whose top-left
corner is page aligned. Pixel (X, Y) of that window, relative to its corner, shows
source pixel v = img[(Y // scale) * 32 + X // scale] and is lit when
    threshold mode: v >= threshold
    bayer mode:     v >= 16 * BAYER4[Y % 4][X % 4] + 8   (ordered dither, 17 levels)
The dither runs at display resolution, so at scale 2 one source pixel shows five
grey levels. render_die() writes that into a buffer; render_bits() returns the same
pixels as 0/1 bytes for host-side comparisons; both run on CPython too. The face
number uses a 5x7 digit font drawn the same way on every driver.

The Python below is the definition and the fallback. Every frame draws a window, so where the
board has them the same functions run as native code, byte for byte the same: the pipnet natmod's
(natmod/kernels/pd_oled.c), else pdview_viper's; DRAWN_BY says which, use() picks one.
"""

from pdformat import OUT_H, OUT_W

THRESHOLD = 0
BAYER = 1
MODES = ("threshold", "bayer")

# 4x4 Bayer matrix, row-major [y % 4][x % 4]
BAYER4 = (0, 8, 2, 10, 12, 4, 14, 6, 3, 11, 1, 9, 15, 7, 13, 5)

# nibble -> byte with every bit doubled (bit n -> bits 2n and 2n+1): scale 2 vertically
_DOUBLE = bytes(sum(((n >> i) & 1) * (3 << (2 * i)) for i in range(4)) for n in range(16))

# bayer at scale 2: [(q * 4 + x % 4) * 2 + k % 2] -> the two bits of output rows 2k, 2k+1 of
# one source pixel whose level is q = (v + 8) >> 4 (lit iff q > BAYER4 entry)
_PAIR = bytes(
    int(q > BAYER4[(2 * kp) * 4 + xm]) | (int(q > BAYER4[(2 * kp + 1) * 4 + xm]) << 1)
    for q in range(17)
    for xm in range(4)
    for kp in range(2)
)

# 5x7 digits 0-9, five column bytes each, bit 0 = top row
DIGITS = bytes((
    0x3E, 0x51, 0x49, 0x45, 0x3E,  0x00, 0x42, 0x7F, 0x40, 0x00,  0x42, 0x61, 0x51, 0x49, 0x46,
    0x21, 0x41, 0x45, 0x4B, 0x31,  0x18, 0x14, 0x12, 0x7F, 0x10,  0x27, 0x45, 0x45, 0x45, 0x39,
    0x3C, 0x4A, 0x49, 0x49, 0x30,  0x01, 0x71, 0x09, 0x05, 0x03,  0x36, 0x49, 0x49, 0x49, 0x36,
    0x06, 0x49, 0x49, 0x29, 0x1E,
))
DIGIT_W = 5
DIGIT_H = 7


def mode_code(mode):
    """'threshold' / 'bayer' (or 0 / 1) -> THRESHOLD / BAYER."""
    if mode == THRESHOLD or mode == BAYER:  # no tuple: this runs under heap_lock
        return mode
    if mode in MODES:
        return MODES.index(mode)
    raise ValueError("dither mode must be 'threshold' or 'bayer', not %r" % (mode,))


DRAWERS = ("natmod", "viper", "python")
DRAWN_BY = "python"
_fast = None  # (render_die, render_digit, clear_box) of DRAWN_BY when it is native code


def use(name=None):
    """Draw with `name` (one of DRAWERS; None: the first that imports here); returns DRAWN_BY.
    ImportError when the named one cannot run here."""
    global DRAWN_BY, _fast, _view_fns
    for candidate in DRAWERS if name is None else (name,):
        try:
            if candidate == "natmod":
                import pipnet as m  # ImportError if absent, ValueError for another architecture's .mpy

                m.render_die  # noqa: B018 - AttributeError: a pipnet from before the window kernel
            elif candidate == "viper":
                import gc

                gc.collect()  # compiling its source (a mip install has no .mpy) needs room
                import pdview_viper as m  # fails where @micropython.viper does not exist
            elif candidate == "python":
                m = None
            else:
                raise ValueError("unknown drawer %r; choose from %s" % (candidate, ", ".join(DRAWERS)))
        except Exception as e:  # noqa: BLE001 - ImportError, ValueError, NameError (CPython) by port
            if name is not None:
                raise ImportError("drawer %s is unavailable: %s" % (name, e))
            continue
        DRAWN_BY = candidate
        _fast = None if m is None else (m.render_die, m.render_digit, m.clear_box)
        # View.draw calls the natmod straight (it checks its own arguments: a Pico pays for no
        # Python checks), anything else through the checked functions here
        _view_fns = _fast if candidate == "natmod" else _CHECKED
        return DRAWN_BY



def _check(img, scale, threshold):
    if len(img) != OUT_W * OUT_H:
        raise ValueError("image must be %d bytes, got %d" % (OUT_W * OUT_H, len(img)))
    if not 1 <= scale <= 8:
        raise ValueError("scale must be 1..8")
    if not 0 <= threshold <= 256:
        raise ValueError("threshold must be 0..256")


def _check_box(out, off, stride, w, pages):
    """The box of w bytes by `pages` pages at `off` must fit `out`, its pages not overlapping."""
    if off < 0 or w < 0 or pages < 0 or (pages > 1 and stride < w) or (
            w and pages and off + (pages - 1) * stride + w > len(out)):
        raise ValueError("the window does not fit the buffer")


def pixel_on(v, x, y, mode, threshold=128):
    """The definition: is window pixel (x, y) lit for source value v."""
    if mode == BAYER:
        return ((v + 8) >> 4) > BAYER4[((y & 3) << 2) | (x & 3)]
    return v >= threshold


def render_bits(img, scale=2, mode=THRESHOLD, threshold=128):
    """The die window as 0/1 bytes, row-major, (32 * scale) squared: what the display shows."""
    mode = mode_code(mode)
    _check(img, scale, threshold)
    size = OUT_W * scale
    out = bytearray(size * size)
    for y in range(size):
        row = (y // scale) * OUT_W
        for x in range(size):
            out[y * size + x] = pixel_on(img[row + x // scale], x, y, mode, threshold)
    return out


def render_die(img, out, off, stride, scale=2, mode=THRESHOLD, threshold=128):
    """Draw img into page buffer `out` (window corner at byte `off`, `stride` bytes per page).

    Returns how many buffer bytes changed (0: the display needs no update).
    Allocates nothing, so it may run under micropython.heap_lock().
    """
    mode = mode_code(mode)
    _check(img, scale, threshold)
    _check_box(out, off, stride, OUT_W * scale, (OUT_H * scale) >> 3)
    if _fast is not None:
        return _fast[0](img, out, off, stride, scale, mode, threshold)
    if mode == THRESHOLD and scale <= 2:
        return _threshold_12(img, out, off, stride, scale, threshold)
    if mode == BAYER and scale == 2:
        return _bayer_2(img, out, off, stride)
    return _generic(img, out, off, stride, scale, mode, threshold)


def _put(out, o, byte):
    if out[o] != byte:
        out[o] = byte
        return 1
    return 0


def _generic(img, out, off, stride, scale, mode, threshold):
    changed = 0
    size = OUT_W * scale
    for x in range(size):
        col = x // scale
        for page in range(size >> 3):
            byte = 0
            for bit in range(8):
                y = (page << 3) + bit
                if pixel_on(img[(y // scale) * OUT_W + col], x, y, mode, threshold):
                    byte |= 1 << bit
            changed += _put(out, off + page * stride + x, byte)
    return changed


def _threshold_12(img, out, off, stride, scale, threshold):
    changed = 0
    dbl = _DOUBLE
    for c in range(OUT_W):
        for p in range(OUT_H >> 3):
            i = (p << 3) * OUT_W + c
            b = 0
            for bit in range(8):
                if img[i] >= threshold:
                    b |= 1 << bit
                i += OUT_W
            if scale == 1:
                changed += _put(out, off + p * stride + c, b)
            else:
                o = off + 2 * p * stride + 2 * c
                lo = dbl[b & 15]
                hi = dbl[b >> 4]
                changed += _put(out, o, lo) + _put(out, o + 1, lo)
                changed += _put(out, o + stride, hi) + _put(out, o + stride + 1, hi)
    return changed


def _bayer_2(img, out, off, stride):
    changed = 0
    pair = _PAIR
    for c in range(OUT_W):
        for page in range(OUT_H >> 2):  # one output page = four source rows
            i = (page << 2) * OUT_W + c
            q0 = ((img[i] + 8) >> 4) << 3
            q1 = ((img[i + OUT_W] + 8) >> 4) << 3
            q2 = ((img[i + 2 * OUT_W] + 8) >> 4) << 3
            q3 = ((img[i + 3 * OUT_W] + 8) >> 4) << 3
            o = off + page * stride + 2 * c
            for dx in range(2):
                xm = (((2 * c + dx) & 3) << 1)
                b = pair[q0 + xm] | (pair[q1 + xm + 1] << 2) | (pair[q2 + xm] << 4) | (pair[q3 + xm + 1] << 6)
                changed += _put(out, o + dx, b)
    return changed


def render_digit(d, out, off, stride, scale=1):
    """Digit 0-9 from the 5x7 font at page-aligned byte `off`; scale 1 (5x7, one page) or 2 (10x14, two)."""
    if not 0 <= d <= 9:
        raise ValueError("digit must be 0..9")
    if scale not in (1, 2):
        raise ValueError("digit scale must be 1 or 2")
    _check_box(out, off, stride, DIGIT_W * scale, scale)
    if _fast is not None:
        return _fast[1](d, out, off, stride, scale)
    changed = 0
    for i in range(DIGIT_W):
        col = DIGITS[d * DIGIT_W + i]
        if scale == 1:
            changed += _put(out, off + i, col)
        elif scale == 2:
            o = off + 2 * i
            lo = _DOUBLE[col & 15]
            hi = _DOUBLE[col >> 4]
            changed += _put(out, o, lo) + _put(out, o + 1, lo)
            changed += _put(out, o + stride, hi) + _put(out, o + stride + 1, hi)
    return changed


def clear_box(out, off, stride, w, pages):
    """Zero a w-byte by `pages` box; returns how many bytes changed."""
    _check_box(out, off, stride, w, pages)
    if _fast is not None:
        return _fast[2](out, off, stride, w, pages)
    changed = 0
    for p in range(pages):
        for x in range(w):
            changed += _put(out, off + p * stride + x, 0)
    return changed


_CHECKED = (render_die, render_digit, clear_box)
_view_fns = _CHECKED
use()


class Slot:
    """Where one die (and its number) sits on the screen."""

    def __init__(self, x, y, scale):
        self.x = x
        self.y = y  # page aligned
        self.scale = scale
        self.size = OUT_W * scale
        self.num_x = 0
        self.num_y = 0
        self.num_scale = 0  # 0: no number for this die
        self.num_inside = False  # drawn in the die's top-left corner (no room beside it)

    def num_box(self):
        """(x, y, w, h) of the number's box."""
        s = self.num_scale
        w = DIGIT_W * s + (2 if self.num_inside else 0)
        return self.num_x, self.num_y, w, 8 * s


def layout(width, height, n_dice=1, scale=0, number=True):
    """Slots for n_dice dice on a width x height display; scale 0 picks the largest that fits."""
    if n_dice not in (1, 2):
        raise ValueError("n_dice must be 1 or 2")
    if height % 8 or width < 1:
        raise ValueError("display height must be a multiple of 8")
    fit = min(height // OUT_H, (width // n_dice) // OUT_W)
    s = scale or fit
    if s < 1 or s > fit:
        raise ValueError("%d dice at scale %d do not fit a %dx%d display" % (n_dice, s or 1, width, height))
    size = OUT_W * s
    gap = (width - n_dice * size) // (n_dice + 1)
    y = ((height - size) // 2) & ~7
    slots = []
    for i in range(n_dice):
        slot = Slot(gap + i * (size + gap), y, s)
        slots.append(slot)
        if not number:
            continue
        margin = width - (slot.x + size)
        if n_dice == 1 and margin >= 7:
            ns = 2 if margin >= 12 and height >= 16 else 1
            slot.num_scale = ns
            slot.num_x = slot.x + size + (margin - DIGIT_W * ns) // 2
            slot.num_y = ((y + size // 2 - 4 * ns) // 8) * 8
        else:
            slot.num_scale = 1
            slot.num_inside = True
            slot.num_x = slot.x
            slot.num_y = slot.y
    return slots


class View:
    """Draws screens on a display (see docs/device.md for the display interface)."""

    def __init__(self, display, n_dice=1, scale=0, mode=THRESHOLD, threshold=128, number=True):
        self.d = display
        self.n_dice = n_dice
        self.mode = mode_code(mode)
        self.threshold = threshold
        self.number = number
        self.slots = layout(display.width, display.height, n_dice, scale, number)
        self.stride = display.width
        self._windows = []  # per slot: (die window, number window or None)
        can = hasattr(display, "window")
        for slot in self.slots:
            dw = display.window(slot.x, slot.y, slot.size, slot.size) if can else None
            nw = None
            if can and slot.num_scale and not slot.num_inside:
                nw = display.window(*slot.num_box())
            self._windows.append((dw, nw))
        self._dirty = bytearray(2 * len(self.slots))  # per slot: die window, number window
        # per slot, what draw() needs every frame (a Pico pays for each attribute it looks up):
        # (die offset, scale, number offset, number scale, number inside the die)
        w = self.stride
        self._draw_plan = [((sl.y >> 3) * w + sl.x, sl.scale, (sl.num_y >> 3) * w + sl.num_x, sl.num_scale,
                            sl.num_inside) for sl in self.slots]
        self._show_window = getattr(display, "show_window", None)  # bound once

    def message(self, lines):
        """Clear the screen and centre up to height / 8 lines of 8x8 text (long lines are cut)."""
        d = self.d
        d.fill(0)
        cols = d.width // 8
        lines = lines[: d.height // 8]
        step = 10 if 10 * len(lines) <= d.height else 8  # tighter lines on a 128x32 panel
        y = (d.height - step * len(lines) + step - 8) // 2
        for line in lines:
            line = line[:cols]
            d.text(line, (d.width - 8 * len(line)) // 2, y, 1)
            y += step
        d.show()

    def clear(self):
        self.d.fill(0)
        self.d.show()

    def draw(self, images, faces):
        """Render each die into the buffer; faces[i] > 0 also draws its number (0 hides it).

        Allocates nothing (it may run under heap_lock); flush() then sends what changed.
        """
        buf = self.d.buffer
        stride = self.stride
        dirty = self._dirty
        mode = self.mode
        threshold = self.threshold
        die, digit, box = _view_fns
        i = 0
        for off, scale, noff, ns, inside in self._draw_plan:
            changed = die(images[i], buf, off, stride, scale, mode, threshold)
            n_changed = 0
            face = faces[i]
            if ns:
                if inside:
                    if face:  # a black box with the digit, over the die's empty corner
                        changed += box(buf, noff, stride, DIGIT_W * ns + 2, 1)
                        changed += digit(face, buf, noff + 1, stride, 1)
                elif face:
                    n_changed = digit(face, buf, noff, stride, ns)
                else:
                    n_changed = box(buf, noff, stride, DIGIT_W * ns, ns)
            if changed:
                dirty[2 * i] = 1
            if n_changed:
                dirty[2 * i + 1] = 1
            i += 1

    def flush(self):
        """Send the windows draw() changed (the whole frame on a display without windows).

        Returns the number of image data bytes sent.
        """
        dirty = self._dirty
        sent = 0
        full = False
        k = 0
        for wins in self._windows:
            for win in wins:
                if dirty[k]:
                    dirty[k] = 0
                    if win is None:
                        full = True
                    else:
                        self._show_window(win)
                        sent += win.nbytes
                k += 1
        if full:
            self.d.show()
            sent += len(self.d.buffer)
        return sent

    def frame(self, images, faces):
        """draw() then flush()."""
        self.draw(images, faces)
        return self.flush()
