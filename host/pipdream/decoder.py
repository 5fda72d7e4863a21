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

import torch
from torch import nn

from pipdream.architecture import (  # noqa: F401 - re-exported: the decoder's shapes
    IMAGE_SIZE,
    IN_FEATURES,
    LATENT,
    N_FACES,
    DecoderConfig,
    LayerSpec,
    layer_specs,
    mac_count,
    param_count,
)


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
