"""The decoder's architecture without torch: its layers' shapes, parameters and MACs.

pipdream.decoder builds the torch model from these specs; everything that only needs the shapes
(the int8 pipeline, the AVR build, evaluate's counts) imports this module, so the base install
(no torch) runs it. The stack is drawn in pipdream/decoder.py's docstring.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from pipdream.blob import format as F
from pipdream.blob.model import taps_1d

N_FACES = F.N_FACES
LATENT = F.LATENT_SIZE
IN_FEATURES = N_FACES + LATENT
IMAGE_SIZE = F.OUT_H


@dataclass(frozen=True)
class DecoderConfig:
    d1: int = 8
    d2: int = 8
    d3: int = 8
    d4: int = 8
    hires: int = 2
    # Mirror fold: each face is trained over only the angles a left-right mirror cannot reach
    # (dataset.fold_angles); its blob carries FLAG_MIRROR_FOLD and every executor mirrors the rest.
    # False here (checkpoints from before the fold have no such key); `pipdream train` folds.
    fold: bool = False

    def name(self) -> str:
        return f"{self.d1}_{self.d2}_{self.d3}_{self.d4}_h{self.hires}" + ("_fold" if self.fold else "")

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class LayerSpec:
    """One layer as the int8 pipeline sees it (shapes are C, H, W)."""

    kind: str  # "fc" | "convT" | "conv"
    in_shape: tuple[int, int, int]
    out_shape: tuple[int, int, int]
    kernel: int = 1
    stride: int = 1
    padding: int = 0
    output_padding: int = 0

    @property
    def params(self) -> int:
        ci, co = self.in_shape[0], self.out_shape[0]
        if self.kind == "fc":
            n_out = co * self.out_shape[1] * self.out_shape[2]
            return ci * n_out + n_out
        return ci * co * self.kernel * self.kernel + co

    @property
    def macs(self) -> int:
        """Multiply-accumulates per image, counting only taps that land inside the tensor."""
        ci, co = self.in_shape[0], self.out_shape[0]
        if self.kind == "fc":
            return ci * co * self.out_shape[1] * self.out_shape[2]
        kind, k, s, p = F.KIND_BY_NAME[self.kind], self.kernel, self.stride, self.padding
        taps_y = taps_1d(kind, self.in_shape[1], self.out_shape[1], k, s, p)
        taps_x = taps_1d(kind, self.in_shape[2], self.out_shape[2], k, s, p)
        return ci * co * taps_y * taps_x


def layer_specs(cfg: DecoderConfig) -> list[LayerSpec]:
    """The layer stack for a config; the single source for shapes, params and MACs."""
    d1, d2, d3, d4 = cfg.d1, cfg.d2, cfg.d3, cfg.d4
    last_up = d1 if cfg.hires > 0 else 1
    s2 = dict(kernel=3, stride=2, padding=1, output_padding=1)
    s1 = dict(kernel=3, stride=1, padding=1)
    specs = [
        LayerSpec("fc", (IN_FEATURES, 1, 1), (d4, 4, 4)),
        LayerSpec("convT", (d4, 4, 4), (d3, 8, 8), **s2),
        LayerSpec("convT", (d3, 8, 8), (d2, 16, 16), **s2),
        LayerSpec("convT", (d2, 16, 16), (d1, 16, 16), **s1),
        LayerSpec("convT", (d1, 16, 16), (last_up, 32, 32), **s2),
    ]
    for i in range(cfg.hires):
        co = 1 if i == cfg.hires - 1 else d1
        specs.append(LayerSpec("conv", (d1, 32, 32), (co, 32, 32), **s1))
    return specs


def param_count(cfg: DecoderConfig) -> int:
    return sum(s.params for s in layer_specs(cfg))


def mac_count(cfg: DecoderConfig) -> int:
    return sum(s.macs for s in layer_specs(cfg))
