"""Int8 quantization of the decoder: calibration, quantization-aware training (QAT)
with fake quantization that mirrors the integer arithmetic, and conversion to a QModel.

Scales (docs/arithmetic.md): inputs 1/127 (one-hot 127, angle code), weights
symmetric per output channel max|w|/127, activations uint8 with zero point 0 and
scale s_out (calibrated max / 255; the last layer is fixed at 1/255 so pixels
come out as 0..255). Per channel, S = s_in * s_w / s_out becomes (mult, shift).
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as tf
from tqdm import tqdm

from pipdream import checkpoint, dataset, legibility, reference
from pipdream.blob import format as F
from pipdream.blob.model import QLayer, QModel
from pipdream.checkpoint import load_tagged
from pipdream.decoder import Decoder, LayerSpec, make_input
from pipdream.style import Style
from pipdream.train import (
    MARGIN,
    BatchSampler,
    dataset_faces,
    image_loss,
    separator_masks,
    to_tensors,
    training_data,
)

QCHECKPOINT_FORMAT = checkpoint.DECODER_Q
QCHECKPOINT_VERSION = 1
IN_SCALE = 1.0 / F.ONE_HOT_CODE


def ste(x: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """Forward q, backward identity (straight-through estimator)."""
    return x + (q - x).detach()


def quantized_latent(latent: torch.Tensor) -> torch.Tensor:
    """The angle latent as the chip sees it: angle_code(latent) / 127."""
    code = torch.clamp(torch.floor(latent.double() * F.ANGLE_CODE_MAX + 0.5),
                       -F.ANGLE_CODE_MAX, F.ANGLE_CODE_MAX)
    return (code / F.ANGLE_CODE_MAX).to(latent.dtype)


def weight_rows(spec: LayerSpec, layer: nn.Module) -> torch.Tensor:
    """Weights as (n_ch, fan_in) rows in the blob's channel order (for per-channel scales)."""
    w = layer.weight
    if spec.kind == "convT":  # torch (ci, co, k, k) -> (co, ci*k*k)
        return w.transpose(0, 1).reshape(w.shape[1], -1)
    return w.reshape(w.shape[0], -1)  # fc (n_out, ci), conv (co, ci, k, k)


def weight_scale(spec: LayerSpec, layer: nn.Module) -> torch.Tensor:
    """Per-channel symmetric scale max|w| / 127, shaped to broadcast over torch weights."""
    s = weight_rows(spec, layer).detach().abs().amax(dim=1).clamp_min(1e-8) / 127.0
    return s.view(1, -1, 1, 1) if spec.kind == "convT" else s.view(-1, *[1] * (layer.weight.dim() - 1))


def layer_op(spec: LayerSpec, layer: nn.Module, x: torch.Tensor, w: torch.Tensor,
             b: torch.Tensor) -> torch.Tensor:
    if spec.kind == "fc":
        return tf.linear(x.reshape(x.shape[0], -1), w, b).view(x.shape[0], *spec.out_shape)
    if spec.kind == "convT":
        return tf.conv_transpose2d(x, w, b, spec.stride, spec.padding, spec.output_padding)
    return tf.conv2d(x, w, b, spec.stride, spec.padding)


class QATDecoder(nn.Module):
    """The float decoder with fake quantization of weights, biases and activations."""

    def __init__(self, model: Decoder, act_scales: list[float]) -> None:
        super().__init__()
        self.model = model
        self.register_buffer("act_scales", torch.tensor(act_scales, dtype=torch.float32))
        # Each hidden layer's share of the MACs that read its output (the next layer's).
        macs = [s.macs for s in model.specs]
        self.read_share = [m / sum(macs) for m in macs[1:]]
        self.activity = torch.zeros(())  # set by forward: see the comment there

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.cat([x[:, :-1], quantized_latent(x[:, -1:])], dim=1)
        s_in = torch.tensor(IN_SCALE)
        n = len(self.model.specs)
        activity = torch.zeros(())
        for i, (spec, layer) in enumerate(zip(self.model.specs, self.model.layers)):
            sw = weight_scale(spec, layer)
            wq = ste(layer.weight, torch.clamp(torch.round(layer.weight / sw), -127, 127) * sw)
            sb = (s_in * sw).reshape(-1)
            bq = ste(layer.bias, torch.round(layer.bias / sb) * sb)
            acc = layer_op(spec, layer, x, wq, bq)
            s_out = self.act_scales[i]
            q = torch.clamp(torch.round(acc / s_out), 0, 255) * s_out
            # Hidden layers: ReLU-and-clip gradient; the output: identity, as in training.
            x = ste(acc if i == n - 1 else torch.clamp(acc, 0, 255 * float(s_out)), q)
            if i < n - 1:
                activity = activity + self.read_share[i] * torch.mean(x) / (255 * s_out)
            s_in = s_out
        # The hidden activations' mean (as a fraction of their range), weighted by the MACs
        # that read them: a differentiable stand-in for the work of the cores that skip zeros.
        self.activity = activity
        return x


@torch.no_grad()
def calibrate(model: Decoder, x: torch.Tensor, percentile: float = 99.99) -> list[float]:
    """Activation scales: a high percentile of each hidden layer's output / 255; last 1/255."""
    scales, h, n = [], x, len(model.specs)
    for i, (spec, layer) in enumerate(zip(model.specs, model.layers)):
        h = torch.relu(layer_op(spec, layer, h, layer.weight, layer.bias))
        if i == n - 1:
            scales.append(1.0 / 255)
        else:
            flat = h.flatten()
            flat = flat[:: max(1, flat.numel() // 1_000_000)]  # a 1M-value sample is plenty
            top = float(np.percentile(flat.numpy(), percentile))
            scales.append(max(top, 1e-6) / 255)
    return scales


def requant_params(scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Real multipliers S (n_ch,) -> (mult uint16 in [2^12, 2^13], shift uint8).

    mult = round(S * 2^(16 + shift)) with the least shift >= 0 that puts mult at
    or above 2^12: both rounding steps then stay well under 0.1 LSB.
    """
    scale = np.asarray(scale, dtype=np.float64)
    if np.any(scale <= 0) or np.any(scale >= 1):
        raise ValueError(f"requantization scale out of range (0, 1): {scale.min()}..{scale.max()}")
    shift = np.maximum(0, np.ceil(np.log2(F.MULT_MIN / (scale * 65536.0)))).astype(np.int64)
    mult = np.round(scale * 2.0 ** (16 + shift)).astype(np.int64)
    low = mult < F.MULT_MIN  # a rounding edge case: one more bit of shift
    shift[low] += 1
    mult[low] = np.round(scale[low] * 2.0 ** (16 + shift[low]))
    if shift.max() > F.MAX_SHIFT or mult.max() > 65535:
        raise ValueError("requantization scale needs a shift beyond MAX_SHIFT: weights too small?")
    return mult.astype(np.uint16), shift.astype(np.uint8)


@torch.no_grad()
def to_qmodel(qat: QATDecoder) -> QModel:
    """Integer weights, biases, multipliers and shifts in the blob's layouts."""
    layers, s_in = [], IN_SCALE
    for i, (spec, layer) in enumerate(zip(qat.model.specs, qat.model.layers)):
        rows = weight_rows(spec, layer).double()
        sw = rows.abs().amax(dim=1).clamp_min(1e-8) / 127.0  # (n_ch,)
        s_out = float(qat.act_scales[i])
        wq = torch.clamp(torch.round(layer.weight.double() / weight_scale(spec, layer).double()),
                         -127, 127)
        bias = torch.round(layer.bias.double() / (s_in * sw)).numpy().astype(np.int64)
        mult, shift = requant_params((s_in * sw / s_out).numpy())
        co, ho, wo = spec.out_shape
        if spec.kind == "fc":  # torch rows are CHW; the blob's are HWC
            perm = np.arange(co * ho * wo).reshape(co, ho, wo).transpose(1, 2, 0).reshape(-1)
            w = wq.numpy()[perm]
            bias, mult, shift = bias[perm], mult[perm], shift[perm]
        elif spec.kind == "convT":  # (ci, co, k, k) -> (co, k, k, ci)
            w = wq.numpy().transpose(1, 2, 3, 0)
        else:  # (co, ci, k, k) -> (co, k, k, ci)
            w = wq.numpy().transpose(0, 2, 3, 1)
        layers.append(QLayer(
            F.KIND_BY_NAME[spec.kind], spec.in_shape, spec.out_shape, w.astype(np.int8),
            np.clip(bias, -F.MAX_BIAS, F.MAX_BIAS).astype(np.int32), mult, shift,
            spec.kernel, spec.stride, spec.padding, spec.output_padding,
            F.DTYPE_INT8 if i == 0 else F.DTYPE_UINT8))
        s_in = s_out
    return QModel(layers, flags=F.FLAG_MIRROR_FOLD if qat.model.cfg.fold else 0,
                  meta={"act_scales": [float(s) for s in qat.act_scales]})


@dataclass
class QATConfig:
    epochs: int = 4
    steps_per_epoch: int = 1000
    batch: int = 256
    lr: float = 1e-2  # as high as the float run's peak: 1e-3 left the int8 MSE 2x the float's
    n_train: int = 60000
    seed: int = 1
    threads: int = 2  # on a busy 2-core machine 1 is faster: OpenMP spins when oversubscribed
    legibility_weight: float = 0.0  # train.image_loss's margin term
    margin: float = MARGIN
    face_weights: tuple[float, ...] = ()  # as train.TrainConfig.face_weights
    separator_weight: float = 0.0  # as train.TrainConfig.separator_weight
    activity_weight: float = 0.0  # weight of QATDecoder.activity: trains for zero activations
    # Every keep_best_every steps (0: never) the judge reads the integer model's dice for
    # JUDGE_N validation pairs; the weights kept are those with the fewest dice showing the
    # wrong count, then the most dice legible (judged_legible).
    keep_best_every: int = 0


JUDGE_N = 2000  # validation dice of keep_best_every
JUDGE_SEED_OFFSET = 20_000  # their seed is the run's + this: not the evaluation's seed 0


def judged_legible(qat: QATDecoder, faces: np.ndarray, codes: np.ndarray,
                   style: Style | None = None) -> tuple[float, float]:
    """(share counted right, share legible) of the integer model's dice for (face, angle
    code) pairs: compared in that order, since a six read as five is worse than a speck (a
    model picked by the legible share alone miscounted 34 of 18,000 dice). The integer
    model, not the fake-quantized forward: its 1-LSB differences move pixels across the
    threshold, and it misjudged the shipped model by 0.8 points."""
    images = reference.run(to_qmodel(qat), faces, codes)  # (N, 32, 32) uint8
    right = legibility.count_pips(images, style=style) == faces
    return float(right.mean()), float(legibility.is_legible(images, faces, style=style).mean())


def qat_finetune(model: Decoder, tc: QATConfig, progress: bool = True,
                 style: Style | None = None) -> tuple[QATDecoder, dict]:
    """Calibrate, then fine-tune with fake quantization on a style's renders (None: the
    shipped die); returns the QAT model and metrics."""
    torch.set_num_threads(tc.threads)
    torch.manual_seed(tc.seed)
    rng = np.random.default_rng(tc.seed)
    data = training_data(model.cfg, tc.n_train, tc.seed, style)  # folded for a folded model
    x_all, y_all = to_tensors(data)
    sep_all = torch.from_numpy(separator_masks(data["images"], style=style)) if tc.separator_weight else None
    invert = bool(style and style.invert)
    qat = QATDecoder(model, calibrate(model, x_all[:2048]))
    sample = BatchSampler(dataset_faces(x_all), tc.face_weights, rng)
    opt = torch.optim.Adam(model.parameters(), lr=tc.lr)
    steps = tc.epochs * tc.steps_per_epoch
    t0, history = time.perf_counter(), []
    faces, angles = dataset.sample_labels(JUDGE_N, np.random.default_rng(tc.seed + JUDGE_SEED_OFFSET))
    codes = reference.angle_code(dataset.angle_to_latent(angles))
    judged: list[tuple[int, tuple[float, float]]] = []  # (step, judged_legible) readings
    best: tuple[tuple[float, float], dict] | None = None
    bar = tqdm(range(steps), desc="quantization-aware training", disable=not progress, leave=False)
    qat.train()
    for step in bar:
        if tc.keep_best_every and step % tc.keep_best_every == 0:  # step 0: the start
            judged.append((step, judged_legible(qat, faces, codes, style)))
            if best is None or judged[-1][1] > best[0]:
                best = (judged[-1][1], copy.deepcopy(qat.state_dict()))
        if step and step % tc.steps_per_epoch == 0:  # re-calibrate as the weights move
            qat.act_scales.copy_(torch.tensor(calibrate(model, x_all[:2048])))
        for g in opt.param_groups:
            g["lr"] = tc.lr * 0.5 * (1 + math.cos(math.pi * step / steps))
        idx = torch.from_numpy(sample(tc.batch))
        seps = None if sep_all is None else sep_all[idx].unsqueeze(1).float()
        loss = image_loss(qat(x_all[idx]), y_all[idx], tc.legibility_weight, tc.margin,
                          seps, tc.separator_weight, invert)
        if tc.activity_weight:
            loss = loss + tc.activity_weight * qat.activity
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step % 50 == 0:
            history.append((step, loss.item()))
            bar.set_postfix(loss=f"{loss.item():.5f}")
    kept = steps
    if tc.keep_best_every:
        judged.append((steps, judged_legible(qat, faces, codes, style)))
        if best is not None and best[0] > judged[-1][1]:
            qat.load_state_dict(best[1])
            kept = next(s for s, v in judged if v == best[0])
    qat.eval()
    return qat, {"qat_seconds": round(time.perf_counter() - t0, 1), "qat": vars(tc),
                 "judged_legible": judged, "kept_step": kept, "qat_loss_history": history}


@torch.no_grad()
def layer_errors(model: Decoder, qmodel: QModel, act_scales: list[float], faces: np.ndarray,
                 latents: np.ndarray) -> dict:
    """Per-layer and end-to-end error of the integer model against the float model.

    For each layer: RMS of (dequantized int8 activation - float activation), also
    relative to the float activation's RMS; the float model gets the same inputs.
    """
    if model.cfg.fold:  # both models run the folded angles (folding is idempotent)
        latents = dataset.angle_to_latent(dataset.fold_angles(faces, np.asarray(latents) * 90.0)[0])
    codes = reference.angle_code(latents)
    ints = reference.run_all_layers(qmodel, faces, codes)
    h = make_input(torch.from_numpy(faces), torch.from_numpy(latents.astype(np.float32)))
    out, n = [], len(model.specs)
    for i, (spec, layer) in enumerate(zip(model.specs, model.layers)):
        h = layer_op(spec, layer, h, layer.weight, layer.bias)
        h = h.clamp(0, 1) if i == n - 1 else torch.relu(h)
        ref = h.permute(0, 2, 3, 1).numpy()  # NHWC like the integer activations
        deq = ints[i].astype(np.float64) * act_scales[i]
        rms = float(np.sqrt(np.mean((deq - ref) ** 2)))
        out.append({"layer": i, "kind": spec.kind, "rms_error": rms,
                    "relative_rms_error": rms / max(float(np.sqrt(np.mean(ref ** 2))), 1e-12)})
    return {"per_layer": out}


def qcheckpoint(qat: QATDecoder, metrics: dict) -> dict:
    return {"format": QCHECKPOINT_FORMAT, "version": QCHECKPOINT_VERSION, "config": qat.model.cfg.to_dict(),
            "state_dict": qat.model.state_dict(),
            "act_scales": [float(s) for s in qat.act_scales], "metrics": metrics}


def load_qat(path) -> QATDecoder:
    """A `pipdream quantize` checkpoint -> QATDecoder in eval mode."""
    ckpt = load_tagged(path, QCHECKPOINT_FORMAT, QCHECKPOINT_VERSION)
    cfg = checkpoint.decoder_config(ckpt, path)
    state = checkpoint.check_weights(ckpt, cfg, path)  # one line naming a disagreement, not torch's
    model = Decoder(cfg)
    scales = ckpt.get("act_scales")
    if not isinstance(scales, list) or len(scales) != len(model.specs):
        raise ValueError(f"{path}: its act_scales do not match its {len(model.specs)} layers")
    model.load_state_dict(state)
    return QATDecoder(model, ckpt["act_scales"]).eval()
