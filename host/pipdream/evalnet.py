"""The evaluation CNN: counts the pips (1..6) of a 32x32 die; the judge of every stage.

Original design: two 3x3 conv layers, max-pool, two fc layers. Trained on renders
augmented with random shifts (which may crop), blur, noise and 1-bit thresholding,
since it must also judge what the OLED shows.
"""

from __future__ import annotations

import time
from functools import cache
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageFilter
from torch import nn
from tqdm import tqdm

from pipdream import checkpoint, dataset, files, paths
from pipdream.checkpoint import load_tagged
from pipdream.evalnet_numpy import binarise  # noqa: F401 - the one definition, used here and re-exported
from pipdream.style import Style

FORMAT = checkpoint.EVAL
VERSION = 1
MAX_SHIFT = 3  # pixels; a turned die reaches within ~2 px of the edge, so shifts crop


class EvalNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (N, 8, 16, 16)
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (N, 16, 8, 8)
        )
        self.head = nn.Sequential(
            nn.Flatten(), nn.Linear(16 * 8 * 8, 32), nn.ReLU(), nn.Linear(32, 6)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (N, 1, 32, 32) in [0, 1] -> (N, 6) logits for faces 1..6."""
        return self.head(self.features(x))


def augment(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """images (N, 32, 32) uint8 -> augmented copy: shift, blur, noise on about half
    each (independently), then 1-bit thresholding on about a quarter."""
    out = np.empty_like(images)  # (N, 32, 32)
    n, h, w = images.shape
    m = MAX_SHIFT
    padded = np.pad(images, ((0, 0), (m, m), (m, m)))  # (N, 32+2m, 32+2m)
    shift = rng.integers(-m, m + 1, size=(n, 2)) * (rng.random((n, 1)) < 0.5)
    for i in range(n):
        dy, dx = shift[i]
        out[i] = padded[i, m + dy : m + dy + h, m + dx : m + dx + w]
    for i in np.flatnonzero(rng.random(n) < 0.5):
        blur = ImageFilter.GaussianBlur(float(rng.uniform(0.4, 1.0)))
        out[i] = np.asarray(Image.fromarray(out[i]).filter(blur))
    noisy = rng.random(n) < 0.5
    sigma = rng.uniform(4, 30, size=(n, 1, 1)) * noisy[:, None, None]
    out = np.clip(out + rng.normal(size=out.shape) * sigma, 0, 255).round().astype(np.uint8)
    binary = rng.random(n) < 0.25
    out[binary] = binarise(out[binary])
    return out


def _to_input(images: np.ndarray) -> torch.Tensor:
    """(N, 32, 32) uint8 -> (N, 1, 32, 32) float in [0, 1]."""
    return torch.from_numpy(np.ascontiguousarray(images)).float().div_(255.0).unsqueeze(1)


@torch.no_grad()
def predict(model: EvalNet, images: np.ndarray, batch: int = 2000) -> np.ndarray:
    """images (N, 32, 32) uint8 -> faces (N,) int64 in 1..6."""
    model.eval()
    out = [
        model(_to_input(images[i : i + batch])).argmax(1).numpy() + 1
        for i in range(0, len(images), batch)
    ]
    return np.concatenate(out) if out else np.zeros(0, np.int64)


def train_evalnet(
    n_train: int = 30000, epochs: int = 8, n_test: int = 6000, seed: int = 1,
    threads: int = 2, progress: bool = True, style: Style | None = None,
) -> tuple[EvalNet, dict]:
    """Train on freshly augmented renders (of a style; None: the shipped die) each epoch;
    test on held-out clean and augmented sets (different seeds)."""
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    train = dataset.cached_dataset(n_train, seed + 100, s=style)
    test = dataset.cached_dataset(n_test, seed + 200, s=style)
    test_aug = augment(test["images"], np.random.default_rng(seed + 300))
    model = EvalNet()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    labels = torch.from_numpy(train["faces"] - 1).long()
    loss_fn = nn.CrossEntropyLoss()
    for _ in tqdm(range(epochs), desc="train-eval", disable=not progress, leave=False):
        # Half of each epoch is clean, half augmented, so clean accuracy stays perfect.
        images = train["images"].copy()
        aug = rng.random(n_train) < 0.5
        images[aug] = augment(images[aug], rng)
        x = _to_input(images)
        model.train()
        for idx in torch.randperm(n_train).split(128):
            loss = loss_fn(model(x[idx]), labels[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        sched.step()
    metrics = {
        "clean_accuracy": float(np.mean(predict(model, test["images"]) == test["faces"])),
        "augmented_accuracy": float(np.mean(predict(model, test_aug) == test["faces"])),
        "clean_1bit_accuracy": float(
            np.mean(predict(model, binarise(test["images"])) == test["faces"])
        ),
        "n_train": n_train, "epochs": epochs, "n_test": n_test, "seed": seed,
        "params": sum(p.numel() for p in model.parameters()),
        "train_seconds": round(time.perf_counter() - t0, 1),
        "style": (style or dataset.styles.SHIPPED).to_dict(),
    }
    return model, metrics


def save(path: str | Path, model: EvalNet, metrics: dict) -> None:
    with files.atomic(path) as tmp:  # an interrupted save leaves no half file
        torch.save({"format": FORMAT, "version": VERSION, "state_dict": model.state_dict(),
                    "metrics": metrics}, tmp)


@cache
def load(path: str | Path = paths.EVAL_PT) -> EvalNet:
    """Eval CNN from a checkpoint (cached per path)."""
    ckpt = load_tagged(path, FORMAT, VERSION)
    model = EvalNet()
    model.load_state_dict(ckpt["state_dict"])
    return model.eval()


def classify(images_uint8: np.ndarray, weights: str | Path = paths.EVAL_PT) -> np.ndarray:
    """images (N, 32, 32) uint8 -> counted faces (N,) int64 in 1..6."""
    images_uint8 = np.asarray(images_uint8)
    if images_uint8.ndim != 3 or images_uint8.shape[1:] != (32, 32):
        raise ValueError(f"expected (N, 32, 32) images, got {images_uint8.shape}")
    if images_uint8.dtype != np.uint8:
        raise ValueError(f"expected uint8 images, got {images_uint8.dtype}")
    return predict(load(Path(weights)), images_uint8)
