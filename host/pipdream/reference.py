"""The integer reference: runs a blob to 32x32 uint8 images, exactly.

This is the definition of pipdream's arithmetic (docs/arithmetic.md). Every
other implementation - C kernels, the natmod, viper and pure-Python device
code, the AVR firmware - must produce these bytes. Activations are HWC.
"""

from __future__ import annotations

import functools

import numpy as np

from pipdream.blob import format as F
from pipdream.blob.model import QLayer, QModel, tap_inputs
from pipdream.blob.reader import load, pdblob

ACC_SAT = 0xFFFF  # the pre-shifted accumulator saturates to 16 bits


def requantize(acc: np.ndarray, mult: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """int32 accumulators -> uint8, per channel (the last axis).

    acc <= 0 gives 0 (ReLU). Otherwise
        t = min((acc + (2^shift >> 1)) >> shift, 65535)   rounding half up, 16 bits
        y = min((t * mult + 2^15) >> 16, 255)               a 16x16 -> 32-bit product
    Every intermediate fits in uint32.
    """
    acc = np.asarray(acc, dtype=np.int64)
    shift = shift.astype(np.int64)
    a = np.maximum(acc, 0)
    t = np.minimum((a + ((1 << shift) >> 1)) >> shift, ACC_SAT)
    y = (t * mult.astype(np.int64) + (1 << 15)) >> 16
    return np.minimum(y, 255).astype(np.uint8)


def accumulate(layer: QLayer, x: np.ndarray) -> np.ndarray:
    """int32 accumulators of one layer. x: (N, H, W, C) ints -> (N, Ho, Wo, Co) int64.

    The sums are formed in float64 so NumPy can use BLAS; they are exact, because
    every partial sum is an integer below 2^26 (docs/arithmetic.md), far under 2^53.
    """
    n = x.shape[0]
    co, ho, wo = layer.out_shape
    x = x.astype(np.float64)
    w = layer.weights.astype(np.float64)
    bias = layer.bias.astype(np.float64)
    if layer.kind == F.KIND_FC:
        acc = x.reshape(n, -1) @ w.T + bias  # (N, ho*wo*co), HWC order
        return acc.astype(np.int64).reshape(n, ho, wo, co)
    acc = np.broadcast_to(bias, (n, ho, wo, co)).copy()
    _, hi, wi = layer.in_shape
    k, s, p = layer.kernel, layer.stride, layer.padding
    rows = [tap_inputs(layer.kind, o, hi, k, s, p) for o in range(ho)]
    cols = [tap_inputs(layer.kind, o, wi, k, s, p) for o in range(wo)]
    for ky in range(k):
        oy = [o for o in range(ho) for t, _ in rows[o] if t == ky]
        iy = [i for o in range(ho) for t, i in rows[o] if t == ky]
        for kx in range(k):
            ox = [o for o in range(wo) for t, _ in cols[o] if t == kx]
            ix = [i for o in range(wo) for t, i in cols[o] if t == kx]
            if not oy or not ox:
                continue
            patch = x[:, iy][:, :, ix]  # (N, len(oy), len(ox), Ci)
            acc[:, np.ix_(oy, ox)[0], np.ix_(oy, ox)[1]] += patch @ w[:, ky, kx, :].T
    return acc.astype(np.int64)


def run_layer(layer: QLayer, x: np.ndarray) -> np.ndarray:
    """One layer: x (N, H, W, C) -> uint8 (N, Ho, Wo, Co)."""
    acc = accumulate(layer, x)
    # A dense layer has a requantization channel per output value (HWC order).
    flat = acc.reshape(acc.shape[0], -1) if layer.kind == F.KIND_FC else acc
    return requantize(flat, layer.mult, layer.shift).reshape(acc.shape)


def encode_inputs(faces: np.ndarray, angle_codes: np.ndarray, n_faces: int = F.N_FACES) -> np.ndarray:
    """faces 1..n_faces and angle codes -127..127 -> int8 (N, 1, 1, n_faces + 1) inputs."""
    faces = np.asarray(faces).reshape(-1)
    codes = np.asarray(angle_codes).reshape(-1)
    if faces.shape != codes.shape:
        raise ValueError(f"{faces.size} faces but {codes.size} angle codes")
    if faces.size and (faces.min() < 1 or faces.max() > n_faces):
        raise ValueError(f"faces must be in 1..{n_faces}")
    if codes.size and np.abs(codes).max() > F.ANGLE_CODE_MAX:
        raise ValueError(f"angle codes must be in -{F.ANGLE_CODE_MAX}..{F.ANGLE_CODE_MAX}")
    x = np.zeros((faces.size, 1, 1, n_faces + 1), np.int8)
    x[np.arange(faces.size), 0, 0, faces - 1] = F.ONE_HOT_CODE
    x[:, 0, 0, n_faces] = codes
    return x


def angle_code(latent: float | np.ndarray) -> np.ndarray:
    """Angle latent in [-1, 1] -> code: floor(latent * 127 + 0.5), clamped to +-127."""
    code = np.floor(np.asarray(latent, dtype=np.float64) * F.ANGLE_CODE_MAX + 0.5)
    return np.clip(code, -F.ANGLE_CODE_MAX, F.ANGLE_CODE_MAX).astype(np.int8)


CHUNK = 16  # images computed together: each is independent; small batches stay in cache (3x faster)


def fold(flags: int, faces: np.ndarray, angle_codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The mirror fold (device/pdblob.py fold, the one definition, looked up for every pair):
    (N,) faces and codes -> the codes the layers run (N,) int8 and mirrored? (N,) bool."""
    faces, codes = np.asarray(faces).reshape(-1), np.asarray(angle_codes).reshape(-1)
    if not flags & F.FLAG_MIRROR_FOLD:
        return codes, np.zeros(codes.shape, bool)  # as given: encode_inputs checks the ranges
    encode_inputs(faces, codes, F.N_FACES)  # the range checks, before the look-up
    hit = _fold_table(flags)[faces.astype(np.int64) - 1, codes.astype(np.int64) + F.ANGLE_CODE_MAX]
    return (hit >> 1).astype(np.int8), (hit & 1).astype(bool)


@functools.cache
def _fold_table(flags: int) -> np.ndarray:
    """(6, 255) int64: pdblob.fold (code * 2 + mirrored) for faces 1..6, codes -127..127."""
    return np.array([[pdblob.fold(flags, f, a) for a in range(-F.ANGLE_CODE_MAX, F.ANGLE_CODE_MAX + 1)]
                     for f in range(1, F.N_FACES + 1)], np.int64)


def run(model: QModel, faces: np.ndarray, angle_codes: np.ndarray) -> np.ndarray:
    """Images for (face, angle code) pairs: uint8 (N, H, W) for the single-channel output.
    A FLAG_MIRROR_FOLD model runs the folded code and mirrors the image where fold() says."""
    faces, angle_codes = np.asarray(faces), np.asarray(angle_codes)
    codes, mirror = fold(model.flags, faces, angle_codes)
    parts = []
    for i in range(0, max(len(faces), 1), CHUNK):
        x = encode_inputs(faces[i:i + CHUNK], codes[i:i + CHUNK], model.n_faces)
        for layer in model.layers:
            x = run_layer(layer, x)
        parts.append(x[..., 0])
    images = np.concatenate(parts) if len(parts) > 1 else parts[0]
    images[mirror] = images[mirror][:, :, ::-1]
    return images


def run_all_layers(model: QModel, faces: np.ndarray, angle_codes: np.ndarray) -> list[np.ndarray]:
    """Every layer's uint8 output, (N, H, W, C) each: for per-layer comparisons. A folded
    model's layers run the folded codes; the last output is not mirrored here."""
    x = encode_inputs(faces, fold(model.flags, faces, angle_codes)[0], model.n_faces)
    outs = []
    for layer in model.layers:
        x = run_layer(layer, x)
        outs.append(x)
    return outs


def generate_batch(blob: bytes, faces: np.ndarray, angle_codes: np.ndarray) -> np.ndarray:
    """Validate a blob and run it: uint8 (N, 32, 32)."""
    return run(load(blob), faces, angle_codes)
