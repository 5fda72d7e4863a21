"""The integer model computed with PyTorch ops: an independent check of reference.py.

Integer tensors go through float64 convolutions (exact: every sum stays far below
2^53) and the requantization runs in int64. It must equal reference.run byte for byte.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional as tf

from pipdream import reference
from pipdream.blob import format as F
from pipdream.blob.model import QModel


def _requantize(acc: torch.Tensor, mult: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
    a = acc.clamp_min(0)
    t = torch.clamp((a + ((1 << shift) >> 1)) >> shift, max=0xFFFF)
    return torch.clamp((t * mult + (1 << 15)) >> 16, max=255)


@torch.no_grad()
def run(model: QModel, faces: np.ndarray, angle_codes: np.ndarray) -> np.ndarray:
    """Same contract as reference.run: uint8 (N, H, W). The mirror fold is reference.fold's;
    this module checks the layers' arithmetic."""
    codes, mirror = reference.fold(model.flags, faces, angle_codes)
    x = torch.from_numpy(reference.encode_inputs(faces, codes, model.n_faces)).double()
    x = x.reshape(x.shape[0], -1)  # (N, 7)
    for layer in model.layers:
        w = torch.from_numpy(layer.weights.astype(np.float64))
        b = torch.from_numpy(layer.bias.astype(np.float64))
        mult = torch.from_numpy(layer.mult.astype(np.int64))
        shift = torch.from_numpy(layer.shift.astype(np.int64))
        co, ho, wo = layer.out_shape
        if layer.kind == F.KIND_FC:
            acc = tf.linear(x.reshape(x.shape[0], -1), w, b).round().long()  # (N, HWC)
            y = _requantize(acc, mult, shift).reshape(-1, ho, wo, co).permute(0, 3, 1, 2)
        else:
            if layer.kind == F.KIND_CONVT:  # OHWI -> (in, out, k, k)
                acc = tf.conv_transpose2d(x, w.permute(3, 0, 1, 2), b, layer.stride,
                                          layer.padding, layer.output_padding)
            else:  # OHWI -> (out, in, k, k)
                acc = tf.conv2d(x, w.permute(0, 3, 1, 2), b, layer.stride, layer.padding)
            acc = acc.round().long().permute(0, 2, 3, 1)  # NHWC: channels last for per-channel params
            y = _requantize(acc, mult, shift).permute(0, 3, 1, 2)
        x = y.double()  # (N, C, H, W)
    images = x[:, 0].numpy().astype(np.uint8)
    images[mirror] = images[mirror][:, :, ::-1]
    return images
