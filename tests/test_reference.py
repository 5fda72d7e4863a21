"""The integer reference defines pipdream's arithmetic; these pin it down."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import default_arch_model
from pipdream import reference, torch_int
from pipdream.blob.synthetic import random_model


def rq(acc, mult, shift):
    return int(reference.requantize(np.array([acc]), np.array([mult]), np.array([shift]))[0])


def test_requantize_rounds_half_up_in_two_integer_steps():
    # t = (1000 + 4) >> 3 = 125;  y = (125 * 4096 + 32768) >> 16 = 8
    assert rq(1000, 4096, 3) == 8
    # t = (12 + 0) >> 0 = 12;  y = (12 * 8192 + 32768) >> 16 = 2 (1.5 + 0.5 rounds up)
    assert rq(12, 8192, 0) == 2
    assert rq(11, 8192, 0) == 1  # 1.375 rounds to 1


def test_requantize_is_a_relu_and_clamps_to_255():
    assert rq(0, 8000, 4) == 0
    assert rq(-5_000_000, 65535, 0) == 0
    assert rq(10**7, 4096, 0) == 255  # t saturates at 65535, y clamps
    assert rq((1 << 24) + (1 << 25), 4096, 24) == 0  # (2^26 + ...) >> 24 = 3 -> 0.19 -> 0


def test_requantize_never_needs_more_than_32_bits():
    # Worst case: t = 65535 and mult = 65535 with the rounding term.
    assert 65535 * 65535 + (1 << 15) < 1 << 32


def test_angle_codes_round_half_up_and_clamp():
    assert list(reference.angle_code(np.array([-1.0, -0.5, 0.0, 0.5, 1.0, 2.0]))) == \
        [-127, -63, 0, 64, 127, 127]  # -63.5 -> -63 and 63.5 -> 64: floor(x + 0.5)


def test_inputs_are_one_hot_127_then_the_angle_code():
    x = reference.encode_inputs(np.array([1, 6]), np.array([-127, 42]))
    assert x.dtype == np.int8
    assert x[:, 0, 0].tolist() == [[127, 0, 0, 0, 0, 0, -127], [0, 0, 0, 0, 0, 127, 42]]


@pytest.mark.parametrize("faces, codes", [([0], [0]), ([7], [0]), ([1], [128]), ([1, 2], [0])])
def test_bad_inputs_are_refused(faces, codes):
    with pytest.raises(ValueError):
        reference.encode_inputs(np.array(faces), np.array(codes))


def test_pytorch_integer_forward_equals_the_reference_on_1000_pairs(shipped_model):
    rng = np.random.default_rng(7)
    faces, codes = rng.integers(1, 7, 1000), rng.integers(-127, 128, 1000)
    np.testing.assert_array_equal(torch_int.run(shipped_model, faces, codes),
                                  reference.run(shipped_model, faces, codes))


def test_pytorch_integer_forward_equals_the_reference_on_random_models():
    rng = np.random.default_rng(8)
    for _ in range(40):
        model = random_model(rng)
        faces, codes = rng.integers(1, 7, 16), rng.integers(-127, 128, 16)
        np.testing.assert_array_equal(torch_int.run(model, faces, codes),
                                      reference.run(model, faces, codes))


def test_every_face_and_angle_code_gives_a_32x32_image(shipped_model):
    faces = np.repeat(np.arange(1, 7), 255)
    codes = np.tile(np.arange(-127, 128), 6)
    images = reference.run(shipped_model, faces, codes)
    assert images.shape == (6 * 255, 32, 32) and images.dtype == np.uint8


def test_the_reference_is_deterministic_on_a_default_architecture_model():
    model = default_arch_model(5)
    a = reference.run(model, np.array([3]), np.array([17]))
    b = reference.run(model, np.array([3]), np.array([17]))
    np.testing.assert_array_equal(a, b)
