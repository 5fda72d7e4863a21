"""The 1-bit picture: threshold and Bayer dithering, scaling, layout, the digit font, and no allocation.

The specification (device/pdview.py): window pixel (X, Y) shows source pixel
img[Y // s][X // s] = v and is lit when v >= threshold, or in Bayer mode when
v >= 16 * BAYER4[Y % 4][X % 4] + 8. numpy_bits below is that sentence in numpy;
the device code must match it on CPython and on MicroPython, byte for byte.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest
from support.device import DEVICE, run_json

sys.path.insert(0, str(DEVICE))
import pdview  # noqa: E402

BAYER = np.array([[0, 8, 2, 10], [12, 4, 14, 6], [3, 11, 1, 9], [15, 7, 13, 5]])


def numpy_bits(img: np.ndarray, scale: int, mode: str, threshold: int = 128) -> np.ndarray:
    big = np.kron(img.astype(int), np.ones((scale, scale), int))  # (32s, 32s)
    if mode == "threshold":
        return big >= threshold
    size = big.shape[0]
    t = 16 * np.tile(BAYER, (size // 4 + 1, size // 4 + 1))[:size, :size] + 8
    return big >= t


def unpack_vlsb(buf: bytes, stride: int, x: int, page: int, w: int, h: int) -> np.ndarray:
    """(h, w) bools of a window of a MONO_VLSB page buffer."""
    a = np.frombuffer(bytes(buf), np.uint8).reshape(-1, stride)
    rows = np.unpackbits(a[:, :, None], axis=2, bitorder="little")  # (pages, stride, 8)
    rows = rows.transpose(0, 2, 1).reshape(-1, stride)  # (pages*8, stride)
    return rows[page * 8 : page * 8 + h, x : x + w].astype(bool)


def sample_images() -> list[np.ndarray]:
    rng = np.random.default_rng(5)
    imgs = [rng.integers(0, 256, (32, 32), dtype=np.uint8) for _ in range(4)]
    ramp = np.tile(np.arange(0, 256, 8, dtype=np.uint8), (32, 1))  # every 8th grey level
    edges = np.zeros((32, 32), np.uint8)
    edges[::2, :] = 127
    edges[1::2, :] = 128  # both sides of the default threshold
    return imgs + [ramp, edges, np.zeros((32, 32), np.uint8), np.full((32, 32), 255, np.uint8)]


@pytest.mark.parametrize("mode", ["threshold", "bayer"])
@pytest.mark.parametrize("scale", [1, 2, 3])
def test_render_die_matches_the_specification(mode, scale):
    stride, x, page = 128, 13, 1
    for img in sample_images():
        for threshold in (1, 128, 200):
            buf = bytearray(stride * (page + 4 * scale))
            pdview.render_die(img.tobytes(), buf, page * stride + x, stride, scale, mode, threshold)
            want = numpy_bits(img, scale, mode, threshold)
            assert np.array_equal(unpack_vlsb(buf, stride, x, page, 32 * scale, 32 * scale), want)
            bits = np.frombuffer(pdview.render_bits(img.tobytes(), scale, mode, threshold), np.uint8)
            assert np.array_equal(bits.reshape(want.shape).astype(bool), want)


def test_render_die_leaves_the_rest_of_the_buffer_alone_and_counts_changes():
    img = np.full((32, 32), 255, np.uint8).tobytes()
    buf = bytearray(b"\x5a" * 1024)
    changed = pdview.render_die(img, buf, 32, 128, 2)
    assert changed == 512  # every byte of the 64x64 window became 0xFF
    assert pdview.render_die(img, buf, 32, 128, 2) == 0  # same picture again: nothing to send
    a = np.frombuffer(bytes(buf), np.uint8).reshape(8, 128)
    assert (a[:, 32:96] == 0xFF).all() and (a[:, :32] == 0x5A).all() and (a[:, 96:] == 0x5A).all()


def test_threshold_mode_is_a_sharp_cut_and_scale_2_doubles_pixels():
    img = np.zeros((32, 32), np.uint8)
    img[3, 5] = 128
    img[3, 6] = 127
    bits = np.frombuffer(pdview.render_bits(img.tobytes(), 2, "threshold", 128), np.uint8).reshape(64, 64)
    assert bits.sum() == 4 and bits[6:8, 10:12].all()


def test_bayer_shows_17_grey_levels_as_lit_fractions():
    for v in range(256):
        img = np.full((32, 32), v, np.uint8).tobytes()
        lit = sum(pdview.render_bits(img, 1, "bayer"))
        assert lit == 1024 * ((v + 8) >> 4) // 16, v  # level (v + 8) >> 4 lights that many 16ths
    # at scale 2 one source pixel is a 2x2 block of the 4x4 matrix: five levels per pixel
    img = np.zeros((32, 32), np.uint8)
    img[0, 0] = 72  # level 5: lights the Bayer cells 0..4; the block rows 0-1 x cols 0-1 holds 0, 8, 12, 4
    bits = np.frombuffer(pdview.render_bits(img.tobytes(), 2, "bayer"), np.uint8).reshape(64, 64)
    assert bits[:2, :2].tolist() == [[1, 0], [0, 1]] and bits.sum() == 2


@pytest.mark.parametrize("bad, match", [
    (dict(img=b"\0" * 1000), "image must be 1024 bytes"),
    (dict(scale=0), "scale must be 1..8"),
    (dict(mode="floyd"), "dither mode must be 'threshold' or 'bayer'"),
    (dict(threshold=300), "threshold must be 0..256"),
])
def test_bad_render_arguments_are_clear_errors(bad, match):
    args = dict(img=b"\0" * 1024, scale=2, mode="threshold", threshold=128) | bad
    with pytest.raises(ValueError, match=match):
        pdview.render_die(args["img"], bytearray(1024), 0, 128, args["scale"], args["mode"],
                          args["threshold"])


def test_layout_centres_one_die_at_2x_on_128x64_with_the_number_beside_it():
    (s,) = pdview.layout(128, 64, 1)
    assert (s.x, s.y, s.scale, s.size) == (32, 0, 2, 64)
    assert (s.num_x, s.num_y, s.num_scale, s.num_inside) == (107, 24, 2, False)
    assert s.num_box() == (107, 24, 10, 16)


def test_layout_fits_128x32_at_1x_and_two_dice_side_by_side():
    (s,) = pdview.layout(128, 32, 1)
    assert (s.x, s.y, s.scale) == (48, 0, 1) and s.num_scale == 2 and s.num_x > 80
    a, b = pdview.layout(128, 64, 2)
    assert [(a.x, a.scale), (b.x, b.scale)] == [(0, 2), (64, 2)]
    assert a.num_inside and b.num_inside  # no room beside them: the number goes in the corner
    a, b = pdview.layout(128, 32, 2)
    assert (a.scale, b.scale) == (1, 1) and a.x + 32 <= b.x
    (s,) = pdview.layout(128, 64, 1, scale=1)
    assert (s.x, s.y, s.size) == (48, 16, 32)


def test_layout_rejects_what_does_not_fit():
    with pytest.raises(ValueError, match="do not fit"):
        pdview.layout(128, 32, 1, scale=2)
    with pytest.raises(ValueError, match="n_dice must be 1 or 2"):
        pdview.layout(128, 64, 3)


def test_digits_use_a_5x7_font_with_distinct_faces():
    glyphs = []
    for d in range(10):
        buf = bytearray(2 * 128)
        assert pdview.render_digit(d, buf, 0, 128, 1) > 0
        g = unpack_vlsb(buf, 128, 0, 0, 5, 8)
        assert not g[7].any()  # 7 rows tall
        glyphs.append(g.tobytes())
        big = bytearray(2 * 128)
        pdview.render_digit(d, big, 0, 128, 2)
        assert np.array_equal(unpack_vlsb(big, 128, 0, 0, 10, 16), np.kron(g, np.ones((2, 2), bool)))
    assert len(set(glyphs)) == 10
    with pytest.raises(ValueError):
        pdview.render_digit(10, bytearray(256), 0, 128)


VIEW_ON_MICROPYTHON = r"""
import json, micropython, pdview, ssd1306

class Bus:  # counts display data: a transaction that starts with the 0x40 control byte
    def __init__(self):
        self.data = 0
    def writeto(self, addr, buf):
        if buf[0] == 0x40:
            self.data += len(buf) - 1

bus = Bus()
oled = ssd1306.SSD1306_I2C(%(w)d, %(h)d, bus)
view = pdview.View(oled, %(dice)d, 0, "%(mode)s", 128, True)
imgs = [bytearray(1024), bytearray(1024)]
for i in range(1024):
    imgs[0][i] = (i * 7) & 255
    imgs[1][i] = (i * 13) & 255
faces = [4, 6]
blank = (0, 0)
bus.data = 0
micropython.heap_lock()          # drawing allocates nothing
view.draw(imgs, blank)
micropython.heap_unlock()
first = view.flush()
first_bus = bus.data
micropython.heap_lock()
view.draw(imgs, blank)           # the same frame again
micropython.heap_unlock()
same = view.flush()
view.draw(imgs, faces)           # the settled frame: the numbers appear
numbers = view.flush()
print(json.dumps({"first": first, "first_bus": first_bus, "same": same, "numbers": numbers,
                  "buf": list(oled.buffer)}))
"""


@pytest.mark.parametrize("w, h, dice, mode", [(128, 64, 1, "threshold"), (128, 64, 2, "bayer"),
                                              (128, 32, 1, "bayer")])
def test_view_draws_without_allocating_and_sends_only_changed_windows(w, h, dice, mode):
    r = run_json(VIEW_ON_MICROPYTHON % dict(w=w, h=h, dice=dice, mode=mode))
    size = 32 * (h // 32)
    # the die windows only: 512 bytes each at 2x
    assert r["first"] == r["first_bus"] == dice * size * size // 8
    assert r["same"] == 0
    if dice == 1:
        assert r["numbers"] == 10 * 2  # the number's own 10x16 window
    else:
        assert r["numbers"] == 2 * size * size // 8  # corner numbers: the dice windows again
    imgs = [np.array([(i * 7) & 255 for i in range(1024)], np.uint8).reshape(32, 32),
            np.array([(i * 13) & 255 for i in range(1024)], np.uint8).reshape(32, 32)]
    buf = bytes(r["buf"])
    for slot, img in zip(pdview.layout(w, h, dice), imgs):
        got = unpack_vlsb(buf, w, slot.x, slot.y // 8, slot.size, slot.size)
        want = numpy_bits(img, slot.scale, mode)
        if slot.num_inside:  # the corner box holds the digit
            got, want = got[8:], want[8:]
        assert np.array_equal(got, want)
