"""Train the conditional decoder: (face, angle latent) -> the ground-truth render.

Targets come from a cached set of random renders (uniform faces, uniform angles
in [-90, 90)); rendering on the fly would cost more than the training step.
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from pipdream import checkpoint, dataset, files, legibility
from pipdream.checkpoint import load_tagged
from pipdream.decoder import Decoder, DecoderConfig, mac_count, make_input, param_count
from pipdream.style import Style

CHECKPOINT_FORMAT = checkpoint.DECODER
CHECKPOINT_VERSION = 1
SEPARATOR_RADIUS = 2  # separator_masks: the gaps between pips are about 2 px wide
MARGIN = 0.15  # image_loss: how far past the threshold a pixel must sit (0.15 = 38 grey levels)


@dataclass
class TrainConfig:
    steps: int = 12000
    batch: int = 256
    lr: float = 1e-2
    lr_final: float = 1e-4  # cosine decay ends here
    warmup: int = 200
    n_train: int = 60000  # cached renders to draw batches from
    n_val: int = 2000
    seed: int = 0
    threads: int = 2
    # The 1-bit margin term (image_loss); 0 trains on the MSE alone.
    legibility_weight: float = 0.0
    margin: float = MARGIN
    init: str = ""  # a float checkpoint to start from instead of random weights
    init_inverted: bool = False  # start from init's complement (1 - its image): for an inverted die
    # Sampling weight of each face 1..6 (empty: uniform), e.g. more sixes, the hardest face.
    face_weights: tuple[float, ...] = ()
    # Weight of image_loss's separator term (0: none): gap pixels between pips kept bright.
    separator_weight: float = 0.0


def image_loss(out: torch.Tensor, target: torch.Tensor, legibility_weight: float = 0.0,
               margin: float = MARGIN, separators: torch.Tensor | None = None,
               separator_weight: float = 0.0, invert: bool = False) -> torch.Tensor:
    """MSE, plus a penalty on pixels that land on the wrong side of the display's threshold.

    The OLED lights a pixel at >= 128, so a die is read from the thresholded image: two pips
    run together when a few gap pixels fall below it, which costs the MSE almost nothing.
    Each pixel must sit on its target's side of 0.5 by min(margin, |target - 0.5|) (a target
    right at the threshold asks nothing); the shortfall is squared, like the MSE.
    With `separators` (bool or 0/1 like target, separator_masks) and a separator_weight, the
    pixels that keep two pips (or a pip and the outside) apart must be bright by the full
    margin, each shortfall squared and weighted by separator_weight. With invert (a style
    with a dark body) every term reads 1 - out against 1 - target: the separators stay dark.
    """
    if invert:
        out, target = 1 - out, 1 - target
    mse = torch.mean((out - target) ** 2)
    loss = mse
    if legibility_weight:
        side = torch.sign(target - 0.5)
        need = torch.clamp((target - 0.5).abs(), max=margin)
        short = torch.relu(need - (out - 0.5) * side)
        loss = loss + legibility_weight * torch.mean(short**2)
    if separator_weight and separators is not None:
        short = torch.relu(margin - (out - 0.5)) * separators
        loss = loss + separator_weight * torch.mean(short**2)
    return loss


def separator_masks(images: np.ndarray, radius: int = SEPARATOR_RADIUS,
                    style: Style | None = None) -> np.ndarray:
    """(N, H, W) uint8 renders -> (N, H, W) bool: the body pixels within `radius` pixels
    (a (2r+1)^2 square) of two different not-body regions of the legibility judge (two pips,
    or a pip and the outside): the gaps whose darkening would bridge or pinch them."""
    region = legibility.regions(legibility.oriented(images, style)).region  # (N, H, W) -1 on the body
    top = np.iinfo(np.int64).max
    hi = _square_filter(region, radius, np.maximum, -1)  # the largest region id nearby
    lo = _square_filter(np.where(region >= 0, region, top), radius, np.minimum, top)
    return (region < 0) & (hi >= 0) & (lo != hi)


def _square_filter(a: np.ndarray, radius: int, op: np.ufunc, fill: int) -> np.ndarray:
    """(N, H, W) -> op (max or min) over each (2r+1)^2 square, `fill` beyond the edges."""
    out = a
    for axis in (1, 2):
        pad = [(0, 0)] * 3
        pad[axis] = (radius, radius)
        p = np.pad(out, pad, constant_values=fill)
        n = out.shape[axis]
        out = p.take(range(0, n), axis=axis)
        for k in range(1, 2 * radius + 1):
            out = op(out, p.take(range(k, k + n), axis=axis))
    return out


class BatchSampler:
    """Draws batches of indices into the renders, each with probability proportional to its
    face's weight (face_weights, six of them; empty: uniform)."""

    def __init__(self, faces: np.ndarray, face_weights: Sequence[float],
                 rng: np.random.Generator) -> None:
        w = np.asarray(face_weights or [1.0] * 6, dtype=np.float64)
        if w.shape != (6,) or np.any(w < 0) or not np.any(w > 0):
            raise ValueError(f"face_weights must be six weights >= 0, not all 0, got {face_weights}")
        self.uniform = not face_weights
        weights = w[np.asarray(faces) - 1]  # (N,)
        self.cdf = np.cumsum(weights) / weights.sum()  # (N,)
        self.rng = rng

    def __call__(self, batch: int) -> np.ndarray:
        if self.uniform:  # the original stream, draw for draw
            return self.rng.integers(0, len(self.cdf), size=batch)
        return np.minimum(np.searchsorted(self.cdf, self.rng.random(batch), side="right"),
                          len(self.cdf) - 1)


def training_data(cfg: DecoderConfig, n: int, seed: int, style: Style | None = None) -> dict[str, np.ndarray]:
    """The cached renders (of a style) a decoder of cfg learns from: folded for a folded model."""
    data = dataset.cached_dataset(n, seed, s=style)
    return dataset.folded(data) if cfg.fold else data


def to_tensors(data: dict[str, np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
    """Dataset dict -> decoder inputs (N, 7) and float targets (N, 1, 32, 32) in [0, 1]."""
    latents = torch.from_numpy(dataset.angle_to_latent(data["angles"]))
    x = make_input(torch.from_numpy(data["faces"]), latents)
    y = torch.from_numpy(data["images"]).float().div_(255.0).unsqueeze(1)
    return x, y


def dataset_faces(x: torch.Tensor) -> np.ndarray:
    """Decoder inputs (N, 7) -> their faces (N,) 1..6 (from the one-hot part)."""
    return x[:, :-1].argmax(dim=1).numpy() + 1


def _lr_at(step: int, tc: TrainConfig) -> float:
    if step < tc.warmup:
        return tc.lr * (step + 1) / tc.warmup
    t = (step - tc.warmup) / max(1, tc.steps - tc.warmup)
    return tc.lr_final + 0.5 * (tc.lr - tc.lr_final) * (1 + math.cos(math.pi * t))


@torch.no_grad()
def mse_on(model: Decoder, x: torch.Tensor, y: torch.Tensor, batch: int = 1000) -> float:
    model.eval()
    total = sum(
        float(((model(x[i : i + batch]) - y[i : i + batch]) ** 2).sum())
        for i in range(0, len(x), batch)
    )
    return total / y.numel()


def train(
    cfg: DecoderConfig, tc: TrainConfig, progress: bool = True, style: Style | None = None
) -> tuple[Decoder, dict]:
    """Train a decoder on a style's renders (None: the shipped die); returns it with metrics
    (loss history, val mse, wall times)."""
    if tc.steps < 1 or tc.batch < 1:
        raise ValueError("steps and batch must be positive")
    torch.set_num_threads(tc.threads)
    torch.manual_seed(tc.seed)
    model = Decoder(cfg)
    if tc.init:  # fine-tune a trained model, e.g. with the margin term added
        start = load_start(tc.init)
        if dataclasses.replace(start.cfg, fold=cfg.fold) != cfg:  # an unfolded start may be folded
            raise ValueError(f"--init {tc.init} is a {start.cfg.name()} decoder, not {cfg.name()}")
        model.load_state_dict(start.state_dict())
        if tc.init_inverted:
            invert_output(model)
    rng = np.random.default_rng(tc.seed)
    t0 = time.perf_counter()
    data = training_data(cfg, tc.n_train, tc.seed, style)
    x_all, y_all = to_tensors(data)
    sep_all = torch.from_numpy(separator_masks(data["images"], style=style)) if tc.separator_weight else None
    # Validation renders use a different seed stream from the training cache.
    x_val, y_val = to_tensors(training_data(cfg, tc.n_val, tc.seed + 10_000, style))
    invert = bool(style and style.invert)
    t_data = time.perf_counter() - t0

    sample = BatchSampler(dataset_faces(x_all), tc.face_weights, rng)
    opt = torch.optim.Adam(model.parameters(), lr=tc.lr)
    history: list[tuple[int, float]] = []  # (step, mean train loss since last entry)
    log_every = max(1, tc.steps // 200)
    running, count = 0.0, 0
    t1, cpu1 = time.perf_counter(), time.process_time()
    bar = tqdm(range(tc.steps), desc=f"train {cfg.name()}", disable=not progress, leave=False)
    model.train()
    for step in bar:
        idx = torch.from_numpy(sample(tc.batch))
        for g in opt.param_groups:
            g["lr"] = _lr_at(step, tc)
        seps = None if sep_all is None else sep_all[idx].unsqueeze(1).float()
        loss = image_loss(model(x_all[idx]), y_all[idx], tc.legibility_weight, tc.margin,
                          seps, tc.separator_weight, invert)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        running, count = running + loss.item(), count + 1
        if count == log_every or step == tc.steps - 1:
            history.append((step + 1, running / count))
            bar.set_postfix(loss=f"{running / count:.5f}")
            running, count = 0.0, 0
    t_train, cpu_train = time.perf_counter() - t1, time.process_time() - cpu1
    model.eval()
    metrics = {
        "config": cfg.to_dict(),
        "train": asdict(tc),
        "params": param_count(cfg),
        "macs": mac_count(cfg),
        "val_mse": mse_on(model, x_val, y_val),
        "final_train_loss": history[-1][1],
        "loss_history": history,
        "train_seconds": round(t_train, 1),
        # CPU time over all threads: on a shared box wall time also counts other people's jobs.
        "train_cpu_seconds": round(cpu_train, 1),
        "data_seconds": round(t_data, 1),
        "torch_threads": tc.threads,
        "style": (style or dataset.styles.SHIPPED).to_dict(),
    }
    return model, metrics


@torch.no_grad()
def invert_output(model: Decoder) -> None:
    """Make the model draw 1 - its image, exactly: clamp(1 - z, 0, 1) = 1 - clamp(z, 0, 1), so the
    last layer's weights are negated and its bias b becomes 1 - b."""
    last = model.layers[-1]
    last.weight.neg_()
    last.bias.neg_().add_(1.0)


def save_checkpoint(path: str | Path, model: Decoder, metrics: dict) -> None:
    """A small dict: format tag, config, float state_dict, metrics (no loss history); written
    under a temporary name and renamed, so an interrupted save leaves no half file."""
    slim = {k: v for k, v in metrics.items() if k != "loss_history"}
    with files.atomic(path) as tmp:
        torch.save(
            {
                "format": CHECKPOINT_FORMAT,
                "version": CHECKPOINT_VERSION,
                "config": model.cfg.to_dict(),
                "state_dict": model.state_dict(),
                "metrics": slim,
            },
            tmp,
        )


def load_checkpoint(path: str | Path) -> dict:
    """A decoder checkpoint written by save_checkpoint (ValueError naming what is wrong)."""
    return load_tagged(path, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, "decoder checkpoint")


def load_start(path: str | Path) -> Decoder:
    """A float checkpoint, or a `pipdream quantize` one (its float weights), to fine-tune."""
    kind = checkpoint.format_of(path, (checkpoint.DECODER, checkpoint.DECODER_Q), "decoder checkpoint")
    if kind == checkpoint.DECODER_Q:
        from pipdream import quantize  # it imports this module

        return quantize.load_qat(path).model
    return load_decoder(path)


def load_decoder(path: str | Path) -> Decoder:
    """Checkpoint file -> Decoder in eval mode."""
    ckpt = load_checkpoint(path)
    cfg = checkpoint.decoder_config(ckpt, path)
    state = checkpoint.check_weights(ckpt, cfg, path)  # one line naming a disagreement, not torch's
    model = Decoder(cfg)
    model.load_state_dict(state)
    return model.eval()


@torch.no_grad()
def float_images(model: Decoder, faces: np.ndarray, latents: np.ndarray) -> np.ndarray:
    """faces (N,) 1..6, latents (N,) in [-1, 1) -> the model's output (N, 32, 32) in [0, 1].
    A folded model draws the folded angle, mirrored where the fold says."""
    mirror = np.zeros(len(np.asarray(latents).reshape(-1)), bool)
    if model.cfg.fold:
        angles, mirror = dataset.fold_angles(faces, np.asarray(latents, np.float64) * 90.0)
        latents = dataset.angle_to_latent(angles)
    x = make_input(torch.as_tensor(faces), torch.as_tensor(latents, dtype=torch.float32))
    y = model.eval()(x)[:, 0].numpy()
    y[mirror] = y[mirror][:, :, ::-1]
    return y


def decode(model: Decoder, faces: np.ndarray, latents: np.ndarray) -> np.ndarray:
    """faces (N,) 1..6, latents (N,) in [-1, 1) -> uint8 (N, 32, 32): output * 255, rounded."""
    return np.clip(np.rint(float_images(model, faces, latents) * 255.0), 0, 255).astype(np.uint8)


def write_metrics(path: str | Path, metrics: dict) -> None:
    files.write_text(path, json.dumps(metrics, indent=2) + "\n")
