"""The die window in native code: pipnet's C (natmod/kernels/pd_oled.c) and pdview_viper draw byte for
byte what pdview's Python writes (the definition), and report the same number of changed bytes, for
every mode, scale and threshold, on random and edge images, into a buffer that already holds other
pixels; the C tables are generated from pdview; the app says which drawer it uses."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
from pipdream import micropython as mpy
from pipdream.blob import c_header
from support.device import DEVICE

sys.path.insert(0, str(DEVICE))
import pdview  # noqa: E402 - the definition, on CPython

STRIDE = 128
BUF = 128 * 8 * 8  # room for a window of scale 8 (256 pixels wide at stride 256 would not fit 128)


def cases() -> list[dict]:
    """(image, buffer before, window corner, scale, mode, threshold): random images, flat ones at the
    thresholds' edges, a buffer that already holds the same picture (nothing changes)."""
    rng = np.random.default_rng(5)
    out = []
    images = [rng.integers(0, 256, 1024, dtype=np.uint8) for _ in range(3)]
    images += [np.full(1024, v, np.uint8) for v in (0, 7, 8, 127, 128, 255)]
    images.append(np.tile(np.arange(256, dtype=np.uint8), 4))
    for i, img in enumerate(images):
        for scale in (1, 2, 3, 4):
            for mode in (pdview.THRESHOLD, pdview.BAYER):
                size = 32 * scale
                stride = max(STRIDE, size)
                pages = size // 8
                thr = (0, 1, 128, 255, 256)[i % 5]
                off = (i % 2) * stride + (stride - size) * (i % 3 == 0)
                before = rng.integers(0, 256, stride * (pages + 2), dtype=np.uint8)
                out.append(dict(img=img.tolist(), buf=before.tolist(), off=int(off), stride=stride,
                                scale=scale, mode=mode, threshold=thr))
    # scale 8 once per mode; and the same picture drawn twice (the second changes nothing)
    for mode in (pdview.THRESHOLD, pdview.BAYER):
        out.append(dict(img=images[0].tolist(), buf=[0] * (256 * 32), off=0, stride=256, scale=8,
                        mode=mode, threshold=128))
    return out


# Every draw of the comparison, run by pdview under each drawer: (changed bytes, buffer after) per
# case, drawn twice (the second changes nothing), then the digits and a cleared box twice.
DRAWS = """
res = []
for c in cs:
    buf = bytearray(c["buf"])
    img = bytes(c["img"])
    n1 = pdview.render_die(img, buf, c["off"], c["stride"], c["scale"], c["mode"], c["threshold"])
    n2 = pdview.render_die(img, buf, c["off"], c["stride"], c["scale"], c["mode"], c["threshold"])
    res.append([n1, n2, list(buf)])
for d in range(10):
    for scale in (1, 2):
        buf = bytearray(bytes(range(256)) * 4)
        n = pdview.render_digit(d, buf, 3 + d, 128, scale)
        res.append([n, list(buf)])
buf = bytearray(bytes(range(256)) * 4)
res.append([pdview.clear_box(buf, 130, 128, 12, 3), pdview.clear_box(buf, 130, 128, 12, 3), list(buf)])
"""
DEVICE_SCRIPT = """
import json, pdview
print(pdview.use(DRAWER))
cs = json.loads(open("cases.json").read())
""" + DRAWS + """
print(json.dumps(res))
"""


def python_draws(cs: list[dict]) -> list:
    """What pdview's Python definition writes for each case (DRAWS, on CPython)."""
    pdview.use("python")
    ns = {"pdview": pdview, "cs": cs}
    exec(DRAWS, ns)
    return ns["res"]


@pytest.fixture(scope="module")
def the_cases() -> list[dict]:
    return cases()


@pytest.fixture(scope="module")
def definition(the_cases) -> list:
    try:
        return python_draws(the_cases)
    finally:
        pdview.use()


@pytest.mark.parametrize("drawer", ["natmod", "viper", "python"])
def test_every_drawer_on_micropython_writes_what_the_python_definition_writes(drawer, the_cases, definition):
    files = {"cases.json": json.dumps(the_cases).encode(), "pipnet.mpy": mpy.natmod_mpy("x64")}
    out = mpy.run(f"DRAWER = {drawer!r}\n" + DEVICE_SCRIPT, path=[DEVICE], files=files, heapsize="8M")
    lines = out.strip().splitlines()
    assert lines[0] == drawer
    got = json.loads(lines[-1])
    assert len(got) == len(definition)
    for i, (g, want) in enumerate(zip(got, definition)):
        assert g == want, f"case {i}: {the_cases[i] if i < len(the_cases) else 'digit/clear'}"[:300]


def test_the_definition_is_what_render_bits_says_the_display_shows(the_cases):
    """pdview's page packing agrees with its pixel rule (render_bits), case by case."""
    pdview.use("python")
    try:
        for c in the_cases[:: 7]:
            buf = bytearray(c["buf"])
            img, off, stride, size = bytes(c["img"]), c["off"], c["stride"], 32 * c["scale"]
            pdview.render_die(img, buf, off, stride, c["scale"], c["mode"], c["threshold"])
            bits = np.frombuffer(pdview.render_bits(img, c["scale"], c["mode"], c["threshold"]),
                                 np.uint8).reshape(size, size)
            for page in range(size // 8):
                row = np.frombuffer(bytes(buf[off + page * stride: off + page * stride + size]), np.uint8)
                unpacked = np.unpackbits(row[None, :], axis=0, bitorder="little")  # (8, size)
                assert np.array_equal(unpacked, bits[8 * page: 8 * page + 8])
    finally:
        pdview.use()


def test_a_window_that_does_not_fit_is_refused_by_every_drawer_before_anything_is_written():
    script = """
import pdview
for drawer in ("natmod", "viper", "python"):
    pdview.use(drawer)
    # a scale-2 window at stride 128 ends at byte off + 7 * 128 + 64
    for args in ((bytes(1024), bytearray(959), 0, 128), (bytes(1024), bytearray(1024), 65, 128),
                 (bytes(1024), bytearray(4096), 0, 63), (bytes(1024), bytearray(1024), -1, 128)):
        try:
            pdview.render_die(*args)
            print(drawer, "drew")
        except ValueError as e:
            print(drawer, e, max(args[1]))
    try:
        pdview.render_digit(3, bytearray(130), 128, 128, 2)
    except ValueError as e:
        print(drawer, e)
"""
    out = mpy.run(script, path=[DEVICE], files={"pipnet.mpy": mpy.natmod_mpy("x64")}).splitlines()
    for drawer in ("natmod", "viper", "python"):
        mine = [line for line in out if line.startswith(drawer)]
        assert mine == [f"{drawer} the window does not fit the buffer 0"] * 4 + \
            [f"{drawer} the window does not fit the buffer"], out


def test_the_natmod_refuses_bad_arguments_with_a_clear_message():
    script = """
import pipnet
for args in ((bytes(1023), bytearray(1024), 0, 128), (bytes(1024), bytes(1024), 0, 128),
             (bytes(1024), bytearray(1024), 0, 128, 9), (bytes(1024), bytearray(1024), 0, 128, 2, 2),
             (bytes(1024), bytearray(1024), 0, 128, 2, 0, 257), (bytes(1024), bytearray(1024), 0, 32, 2)):
    try:
        pipnet.render_die(*args)
    except (TypeError, ValueError) as e:
        print(type(e).__name__, e)
"""
    out = mpy.run(script, files={"pipnet.mpy": mpy.natmod_mpy("x64")}).splitlines()
    assert out == [
        "ValueError img holds 1023 bytes, the shape needs exactly 1024",
        "TypeError out is read-only: pass a writable buffer such as a bytearray",
        "ValueError scale 9 not in 1..8",
        "ValueError mode 2 not in 0..1",
        "ValueError threshold 257 not in 0..256",
        "ValueError stride 32 not in 64..2147483647",
    ]


def test_the_c_tables_are_generated_from_pdview():
    assert c_header.OLED_TABLES_PATH.read_text() == c_header.render_oled_tables(), \
        "natmod/kernels/pd_oled_tables.h is stale: run `pipdream export-header`"


def test_i2c_words_packs_a_transaction_for_the_dma_channel_and_refuses_what_does_not_fit():
    script = """
from array import array
import pipnet
w = array("H", [0xFFFF] * 8)
print(pipnet.i2c_words(w, 0, b"\\x00\\x21"), pipnet.i2c_words(w, 2, [b"\\x40", bytes((1, 2))]), list(w))
for args in ((bytearray(8), 0, b"x"), (w, 7, b"ab"), (w, 9, b"")):
    try:
        pipnet.i2c_words(*args)
    except (TypeError, ValueError) as e:
        print(type(e).__name__, e)
"""
    out = mpy.run(script, files={"pipnet.mpy": mpy.natmod_mpy("x64")}).splitlines()
    # each byte in bits 0-7, STOP (bit 9) on each transaction's last; the words past them untouched
    assert out[0] == "2 5 [0, 545, 64, 1, 514, 65535, 65535, 65535]"
    assert out[1:] == ["TypeError words must be an array('H')",
                       "ValueError the transaction does not fit the words",
                       "ValueError at 9 not in 0..8"]
