"""The conditional decoder: (one-hot face, angle latent) -> 32x32 greyscale die.

Architecture (channel dims d1..d4, `hires` extra 3x3 convs at 32x32):

    input  7 = one-hot face (6) + angle latent in [-1, 1)         (N, 7)
    fc     7 -> d4*4*4, ReLU, viewed as (d4, 4, 4)                 (N, d4, 4, 4)
    convT  d4 -> d3, k3 s2 p1 op1, ReLU                            (N, d3, 8, 8)
    convT  d3 -> d2, k3 s2 p1 op1, ReLU                            (N, d2, 16, 16)
    convT  d2 -> d1, k3 s1 p1,     ReLU                            (N, d1, 16, 16)
    convT  d1 -> c,  k3 s2 p1 op1                                  (N, c, 32, 32)
    conv   d1 -> d1, k3 s1 p1, ReLU        (hires - 1 times)       (N, d1, 32, 32)
    conv   d1 -> 1,  k3 s1 p1              (the last hires layer)  (N, 1, 32, 32)
    output clamp to [0, 1]

c is d1 when hires > 0, else 1. Every hidden activation is a ReLU and the
output is a clamp, so the int8 version needs one integer step for all layers:
requantize and clamp to 0..255 (docs/arithmetic.md).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

N_FACES = 6
LATENT = 1
IN_FEATURES = N_FACES + LATENT
IMAGE_SIZE = 32


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
        taps_y = _taps_1d(self, self.in_shape[1], self.out_shape[1])
        taps_x = _taps_1d(self, self.in_shape[2], self.out_shape[2])
        return ci * co * taps_y * taps_x


def _taps_1d(layer: LayerSpec, n_in: int, n_out: int) -> int:
    """Number of (input, output, kernel) index triples that are in range along one axis."""
    k, s, p = layer.kernel, layer.stride, layer.padding
    count = 0
    for o in range(n_out):
        for t in range(k):
            if layer.kind == "convT":
                num = o + p - t
                if num % s == 0 and 0 <= num // s < n_in:
                    count += 1
            else:
                i = o * s - p + t
                if 0 <= i < n_in:
                    count += 1
    return count


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


class ClampSTE(torch.autograd.Function):
    """Clamp to [0, 1] forward, identity backward: a pixel stuck below 0 whose
    target is white still gets a gradient."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        return x.clamp(0.0, 1.0)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:  # noqa: D102
        return grad


class Decoder(nn.Module):
    """Float decoder; `layers` holds one torch module per LayerSpec, in order."""

    def __init__(self, cfg: DecoderConfig | None = None) -> None:
        super().__init__()
        self.cfg = cfg or DecoderConfig()
        self.specs = layer_specs(self.cfg)
        mods: list[nn.Module] = []
        for s in self.specs:
            ci, co = s.in_shape[0], s.out_shape[0]
            if s.kind == "fc":
                mods.append(nn.Linear(ci, co * s.out_shape[1] * s.out_shape[2]))
            elif s.kind == "convT":
                mods.append(
                    nn.ConvTranspose2d(
                        ci, co, s.kernel, s.stride, s.padding, output_padding=s.output_padding
                    )
                )
            else:
                mods.append(nn.Conv2d(ci, co, s.kernel, s.stride, s.padding))
        self.layers = nn.ModuleList(mods)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (N, 7) float -> (N, 1, 32, 32) in [0, 1]."""
        n = x.shape[0]
        for i, (spec, layer) in enumerate(zip(self.specs, self.layers)):
            x = layer(x)
            if spec.kind == "fc":
                x = x.view(n, *spec.out_shape)
            x = ClampSTE.apply(x) if i == len(self.layers) - 1 else torch.relu(x)
        return x


def make_input(faces: torch.Tensor, latents: torch.Tensor) -> torch.Tensor:
    """faces: (N,) ints 1..6, latents: (N,) floats in [-1, 1) -> (N, 7) decoder input."""
    onehot = torch.nn.functional.one_hot(faces.long() - 1, N_FACES).float()
    return torch.cat([onehot, latents.float().view(-1, 1)], dim=1)
