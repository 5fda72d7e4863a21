"""Random valid quantized models, for tests and fuzz seeds (not trained: just well-formed)."""

from __future__ import annotations

import numpy as np

from pipdream.architecture import DecoderConfig, layer_specs
from pipdream.blob import format as F
from pipdream.blob.model import QLayer, QModel, out_dim
from pipdream.blob.writer import pack


def random_layer(rng: np.random.Generator, kind: int, in_shape: tuple[int, int, int],
                 out_shape: tuple[int, int, int], in_type: int, kernel: int = 1, stride: int = 1,
                 padding: int = 0, output_padding: int = 0) -> QLayer:
    """A layer with random weights whose requantization keeps outputs in a lively range."""
    layer = QLayer(kind, in_shape, out_shape, np.zeros(0, np.int8), np.zeros(0, np.int32),
                   np.zeros(0, np.uint16), np.zeros(0, np.uint8), kernel, stride, padding,
                   output_padding, in_type)
    n, ci = layer.n_ch, in_shape[0]
    shape = (n, ci) if kind == F.KIND_FC else (out_shape[0], kernel, kernel, ci)
    layer.weights = rng.integers(-127, 128, shape, dtype=np.int64).astype(np.int8)
    taps = ci * (1 if kind == F.KIND_FC else kernel * kernel)
    # Typical |acc| is about sqrt(taps) * 73 * 127; scale that to about 255.
    typical = max(1.0, np.sqrt(taps) * 73 * 127 * (0.5 if in_type == F.DTYPE_INT8 else 1))
    layer.bias = rng.integers(-int(typical), int(typical) + 1, n).astype(np.int32)
    scale = rng.uniform(120, 400, n) / typical  # S: output per accumulator unit
    shift = np.clip(np.ceil(-4 - np.log2(scale)), 0, F.MAX_SHIFT).astype(np.int64)
    layer.shift = shift.astype(np.uint8)
    layer.mult = np.clip(np.round(scale * 2.0 ** (16 + shift)), 4096, 65535).astype(np.uint16)
    return layer


def default_shape_model(seed: int = 0, cfg: DecoderConfig | None = None) -> QModel:
    """Random weights in exactly the layer shapes of the default decoder (or `cfg`)."""
    rng = np.random.default_rng(seed)
    return QModel([random_layer(rng, F.KIND_BY_NAME[s.kind], s.in_shape, s.out_shape,
                                F.DTYPE_INT8 if i == 0 else F.DTYPE_UINT8, s.kernel, s.stride, s.padding,
                                s.output_padding)
                   for i, s in enumerate(layer_specs(cfg or DecoderConfig()))])


def default_shape_blob(seed: int = 0, cfg: DecoderConfig | None = None) -> bytes:
    return pack(default_shape_model(seed, cfg))


def random_model(rng: np.random.Generator, n_layers: int | None = None,
                 n_faces: int = F.N_FACES) -> QModel:
    """A random valid stack: a dense layer to a small map, then conv/convT layers."""
    n_layers = n_layers or int(rng.integers(1, 6))
    c, h, w = int(rng.integers(1, 9)), int(rng.integers(1, 6)), int(rng.integers(1, 6))
    layers = [random_layer(rng, F.KIND_FC, (n_faces + 1, 1, 1), (c, h, w), F.DTYPE_INT8)]
    for i in range(1, n_layers):
        last = i == n_layers - 1
        co = 1 if last else int(rng.integers(1, 17))
        kind = F.KIND_CONVT if rng.random() < 0.6 else F.KIND_CONV
        k = int(rng.integers(1, 5))
        s = int(rng.integers(1, 3))
        p = int(rng.integers(0, k))
        op = int(rng.integers(0, s)) if kind == F.KIND_CONVT else 0
        ho, wo = out_dim(kind, h, k, s, p, op), out_dim(kind, w, k, s, p, op)
        if not (1 <= ho <= 40 and 1 <= wo <= 40):  # keep it valid and small: fall back to 3x3 s1
            kind, k, s, p, op, ho, wo = F.KIND_CONV, 3, 1, 1, 0, h, w
        layers.append(random_layer(rng, kind, (c, h, w), (co, ho, wo), F.DTYPE_UINT8, k, s, p, op))
        c, h, w = co, ho, wo
    if layers[-1].out_shape[0] != 1:  # single-channel image out
        layers.append(random_layer(rng, F.KIND_CONV, (c, h, w), (1, h, w), F.DTYPE_UINT8, 3, 1, 1))
    # every other six-face model folds its angles (drawn last: the layers are as before)
    fold = n_faces == F.N_FACES and rng.random() < 0.5
    return QModel(layers, n_faces, flags=F.FLAG_MIRROR_FOLD if fold else 0)
