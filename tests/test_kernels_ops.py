"""Each C kernel (pd_fc, pd_conv, pd_convt) equals the reference op byte for
byte, on random shapes: odd sizes, strides 1 and 2, paddings, output padding,
1 to 16 channels, uint8 and int8 inputs; also when asked for a rectangle of
the output from just the input window it needs (as the streaming plan does)."""

from __future__ import annotations

import numpy as np
import pytest
from pipdream import reference
from pipdream.blob import format as F
from pipdream.blob.model import QLayer
from pipdream.blob.synthetic import random_layer
from pipdream.ckernels import KernelError
from pipdream.plan import hull, hull_range
from support.kernels import CODES, kernels


@pytest.fixture(scope="module")
def lib():
    return kernels()


def out_dim(kind: int, n: int, k: int, s: int, p: int, op: int) -> int:
    if kind == F.KIND_CONVT:
        return (n - 1) * s - 2 * p + k + op
    return (n + 2 * p - k) // s + 1


def random_spatial(rng: np.random.Generator, kind: int, in_type: int = F.DTYPE_UINT8) -> QLayer:
    while True:
        k = int(rng.integers(1, F.MAX_KERNEL + 1))
        s = int(rng.integers(1, F.MAX_STRIDE + 1))
        p = int(rng.integers(0, k))
        op = int(rng.integers(0, s)) if kind == F.KIND_CONVT else 0
        h, w = (int(v) for v in rng.integers(1, 14, 2))
        ho, wo = out_dim(kind, h, k, s, p, op), out_dim(kind, w, k, s, p, op)
        if 1 <= ho <= F.MAX_DIM and 1 <= wo <= F.MAX_DIM:
            break
    ci, co = (int(v) for v in rng.integers(1, 17, 2))
    return random_layer(rng, kind, (ci, h, w), (co, ho, wo), in_type, k, s, p, op)


def random_input(rng: np.random.Generator, layer: QLayer) -> np.ndarray:
    ci, h, w = layer.in_shape
    if layer.in_type == F.DTYPE_INT8:
        return rng.integers(-127, 128, (h, w, ci)).astype(np.int8)
    return rng.integers(0, 256, (h, w, ci)).astype(np.uint8)


def ref_op(layer: QLayer, x: np.ndarray) -> np.ndarray:
    return reference.run_layer(layer, x[None])[0]


@pytest.mark.parametrize("kind", [F.KIND_CONV, F.KIND_CONVT])
def test_spatial_kernels_match_the_reference_on_random_shapes(lib, kind):
    rng = np.random.default_rng(kind)
    strides, paddings = set(), set()
    for _ in range(300):
        layer = random_spatial(rng, kind)
        x = random_input(rng, layer)
        assert np.array_equal(lib.run_layer(layer, x), ref_op(layer, x)), layer
        strides.add(layer.stride)
        paddings.add((layer.padding, layer.output_padding))
    # every padding 0..4, and for convT both output paddings
    assert strides == {1, 2} and len(paddings) >= (9 if kind == F.KIND_CONVT else 5)


@pytest.mark.parametrize("kind", [F.KIND_CONV, F.KIND_CONVT])
def test_spatial_kernels_take_int8_input(lib, kind):
    rng = np.random.default_rng(10 + kind)
    for _ in range(100):
        layer = random_spatial(rng, kind, F.DTYPE_INT8)
        x = random_input(rng, layer)
        assert np.array_equal(lib.run_layer(layer, x), ref_op(layer, x)), layer


@pytest.mark.parametrize("in_type", [F.DTYPE_INT8, F.DTYPE_UINT8])
def test_fc_matches_the_reference(lib, in_type):
    rng = np.random.default_rng(20 + in_type)
    for _ in range(200):
        ci = int(rng.integers(1, F.MAX_FC_IN + 1))
        co, ho, wo = (int(v) for v in rng.integers(1, 9, 3))
        layer = random_layer(rng, F.KIND_FC, (ci, 1, 1), (co, ho, wo), in_type)
        x = random_input(rng, layer)
        assert np.array_equal(lib.run_layer(layer, x), ref_op(layer, x))


def test_the_decoder_input_layer_matches_on_every_face_and_angle_extreme(lib):
    rng = np.random.default_rng(3)
    layer = random_layer(rng, F.KIND_FC, (7, 1, 1), (8, 4, 4), F.DTYPE_INT8)
    for face in range(1, 7):
        for code in (-127, -1, 0, 1, 127):
            x = reference.encode_inputs(np.array([face]), np.array([code]))[0]
            assert np.array_equal(lib.run_layer(layer, x), ref_op(layer, x))


def test_requantization_edges_match_the_reference(lib):
    """A dense layer with zero weights outputs requantize(bias): push every edge."""
    biases = np.array([-(2**24), -1, 0, 1, 2, 3, 127, 128, 255, 256, 65535, 65536, 2**20, 2**24 - 1, 2**24,
                       12345, 777, 4095, 4096, 100000], np.int64)
    rng = np.random.default_rng(4)
    for shift in (0, 1, 2, 7, 8, 15, 16, 23, 24):
        for mult in (4096, 4097, 32768, 65535, 50000):
            n = biases.size
            layer = random_layer(rng, F.KIND_FC, (1, 1, 1), (1, 1, n), F.DTYPE_UINT8)
            layer.weights[:] = 0
            layer.bias = biases.astype(np.int32)
            layer.mult[:] = mult
            layer.shift[:] = shift
            got = lib.run_layer(layer, np.zeros((1, 1, 1), np.uint8))[0, :, 0]
            want = reference.requantize(biases, layer.mult, layer.shift)
            assert np.array_equal(got, want), (shift, mult)


def window_for(layer: QLayer, rect: tuple[int, int, int, int]) -> tuple[tuple[int, int], tuple[int, int]]:
    """The input rows and columns the output rectangle reads (at least one of each)."""
    y0, y1, x0, x1 = rect
    _, hi, wi = layer.in_shape
    rows = [h for o in range(y0, y1) if (h := hull(layer, o, hi))]
    r0, r1 = (rows[0][0], rows[-1][1] + 1) if rows else (0, 1)
    c = hull_range(layer, x0, x1, wi)
    c0, c1 = (c[0], c[1] + 1) if c else (0, 1)
    return (r0, r1), (c0, c1)


def check_rectangles(lib, kind: int, rng: np.random.Generator, n: int) -> None:
    """n random layers: any output rectangle, computed from just the input window it
    needs, equals the reference there, and nothing outside it is written."""
    for _ in range(n):
        if kind == F.KIND_FC:
            layer = random_layer(rng, kind, (5, 1, 1), tuple(int(v) for v in rng.integers(1, 7, 3)),
                                 F.DTYPE_UINT8)
        else:
            layer = random_spatial(rng, kind)
        _, ho, wo = layer.out_shape
        y0 = int(rng.integers(0, ho))
        x0 = int(rng.integers(0, wo))
        rect = (y0, int(rng.integers(y0 + 1, ho + 1)), x0, int(rng.integers(x0 + 1, wo + 1)))
        rows, cols = window_for(layer, rect)
        x = random_input(rng, layer)
        got = lib.run_layer(layer, x, rect, in_rows=rows, in_cols=cols)
        want = ref_op(layer, x)
        y0, y1, x0, x1 = rect
        assert np.array_equal(got[y0:y1, x0:x1], want[y0:y1, x0:x1]), (layer, rect)
        assert not got[:y0].any() and not got[y1:].any()  # nothing outside the rectangle is written


def check_row_accumulation(lib, kind: int, rng: np.random.Generator, n: int) -> None:
    """The streaming plan's last layer: bias + the taps of each input row, added
    row by row into int32, requantizes to the reference's output row."""
    for _ in range(n):
        layer = random_spatial(rng, kind)
        x = random_input(rng, layer)
        want = ref_op(layer, x)
        _, ho, wo = layer.out_shape
        oy, x0 = int(rng.integers(0, ho)), int(rng.integers(0, wo))
        x1 = int(rng.integers(x0 + 1, wo + 1))
        rows = list(range(layer.in_shape[1]))  # every input row: those out of reach add nothing
        rng.shuffle(rows)
        acc = lib.accumulate_row(layer, x, oy, x0, x1, rows) + layer.bias.astype(np.int64)
        got = reference.requantize(acc, layer.mult, layer.shift)
        assert np.array_equal(got, want[oy, x0:x1]), layer


@pytest.mark.parametrize("kind", [F.KIND_CONV, F.KIND_CONVT, F.KIND_FC])
def test_a_rectangle_from_an_input_window_matches_the_reference(lib, kind):
    check_rectangles(lib, kind, np.random.default_rng(30 + kind), 200)


@pytest.mark.parametrize("kind", [F.KIND_CONV, F.KIND_CONVT])
def test_accumulating_one_input_row_at_a_time_matches_the_reference(lib, kind):
    check_row_accumulation(lib, kind, np.random.default_rng(40 + kind), 100)


def test_kernels_reject_bad_rectangles_and_windows(lib):
    rng = np.random.default_rng(5)
    layer = random_layer(rng, F.KIND_CONV, (3, 9, 9), (4, 9, 9), F.DTYPE_UINT8, 3, 1, 1)
    x = random_input(rng, layer)

    def status(**kw) -> int:
        try:
            lib.run_layer(layer, x, **kw)
        except KernelError as e:
            return e.status
        return 0

    assert status(rect=(0, 10, 0, 9)) == CODES["PD_ERR_RECT"]
    assert status(rect=(5, 4, 0, 9)) == CODES["PD_ERR_RECT"]
    assert status(rect=(0, 1, 0, 9)) == CODES["PD_OK"]
    # output row 4 reads input rows 3..5: a 2-row ring cannot hold them
    assert status(rect=(4, 5, 0, 9), in_rows=(4, 6)) == CODES["PD_ERR_IN_WINDOW"]
    assert status(rect=(4, 5, 0, 9), in_rows=(3, 6)) == 0
    # output columns 2..4 read input columns 1..5
    assert status(rect=(0, 9, 2, 5), in_cols=(2, 6)) == CODES["PD_ERR_IN_WINDOW"]
    assert status(rect=(0, 9, 2, 5), in_cols=(1, 5)) == CODES["PD_ERR_IN_WINDOW"]
    assert status(rect=(0, 9, 2, 5), in_cols=(1, 6)) == 0
    assert status(rect=(3, 3, 0, 9)) == 0  # empty: nothing to do


def test_layer_weights_are_read_in_the_blob_byte_order(lib):
    """Biases above 2^16 and multipliers above 2^8 exercise every byte of the LE reads."""
    rng = np.random.default_rng(6)
    layer = random_layer(rng, F.KIND_CONVT, (4, 3, 3), (5, 6, 6), F.DTYPE_UINT8, 3, 2, 1, 1)
    layer.bias = rng.integers(-(2**24), 2**24, 5).astype(np.int32)
    x = random_input(rng, layer)
    assert np.array_equal(lib.run_layer(layer, x), ref_op(layer, x))
