"""In-memory form of a quantized model: what the writer packs and the reader returns."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pipdream.blob import device
from pipdream.blob import format as F

_pdblob = device.module("pdblob")
_pdinfer_py = device.module("pdinfer_py")


@dataclass
class QLayer:
    """One integer layer. Activations are HWC; shapes below are (C, H, W) tuples."""

    kind: int  # F.KIND_*
    in_shape: tuple[int, int, int]
    out_shape: tuple[int, int, int]
    weights: np.ndarray  # int8; conv/convT (out_c, k, k, in_c); fc (out_h*out_w*out_c, in_c)
    bias: np.ndarray  # int32 (n_ch,)
    mult: np.ndarray  # uint16 (n_ch,)
    shift: np.ndarray  # uint8 (n_ch,)
    kernel: int = 1
    stride: int = 1
    padding: int = 0
    output_padding: int = 0
    in_type: int = F.DTYPE_UINT8
    act: int = F.ACT_CLAMP

    @property
    def n_ch(self) -> int:
        """Requantization channels: out_c, or every output value of a dense layer."""
        c, h, w = self.out_shape
        return c * h * w if self.kind == F.KIND_FC else c

    @property
    def n_weights(self) -> int:
        ci = self.in_shape[0]
        if self.kind == F.KIND_FC:
            return self.n_ch * ci
        return self.out_shape[0] * self.kernel * self.kernel * ci

    @property
    def macs(self) -> int:
        """Multiply-accumulates of one full-frame pass (taps that land in range)."""
        ci, co = self.in_shape[0], self.out_shape[0]
        if self.kind == F.KIND_FC:
            return self.n_weights
        ty = taps_1d(self.kind, self.in_shape[1], self.out_shape[1], self.kernel, self.stride,
                     self.padding)
        tx = taps_1d(self.kind, self.in_shape[2], self.out_shape[2], self.kernel, self.stride,
                     self.padding)
        return ci * co * ty * tx

    @property
    def params(self) -> int:
        return self.n_weights + self.n_ch


def taps_1d(kind: int, n_in: int, n_out: int, k: int, s: int, p: int, first: int = 0) -> int:
    """Count of (output, kernel tap) pairs along one axis whose input index is in range, for the
    outputs [first, n_out)."""
    return sum(len(tap_inputs(kind, o, n_in, k, s, p)) for o in range(first, n_out))


def out_dim(kind: int, n_in: int, k: int, s: int, p: int, op: int) -> int:
    """Output size along one axis of a conv or transposed conv layer: the parser's own rule
    (device/pdblob.py out_dim)."""
    return int(_pdblob.out_dim(kind, n_in, k, s, p, op))


def tap_inputs(kind: int, o: int, n_in: int, k: int, s: int, p: int) -> list[tuple[int, int]]:
    """(tap, input index) pairs feeding output index o along one axis: the board's own
    geometry (device/pdinfer_py.py tap_inputs), which the reference runs too."""
    return _pdinfer_py.tap_inputs(kind, o, n_in, k, s, p)


@dataclass
class QModel:
    layers: list[QLayer]
    n_faces: int = F.N_FACES
    latent_size: int = F.LATENT_SIZE
    flags: int = 0  # header flags: F.FLAG_MIRROR_FOLD, the model covers half the angles
    meta: dict = field(default_factory=dict)  # not stored in the blob

    @property
    def out_shape(self) -> tuple[int, int, int]:
        return self.layers[-1].out_shape

    @property
    def params(self) -> int:
        return sum(layer.params for layer in self.layers)

    @property
    def macs(self) -> int:
        return sum(layer.macs for layer in self.layers)
