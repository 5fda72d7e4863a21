"""Score an image source: params, MACs, MSE vs ground truth, eval-CNN accuracy (8-bit and 1-bit),
and legibility: the pips counted by the model-free judge (legibility.py), greyscale and 1-bit.

Image sources are pluggable: each maps (path, faces, latents) to uint8 (N, 32, 32).
The float checkpoint is one; an int8 blob run by the integer reference is another.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from pipdream import dataset, legibility, paths
from pipdream.architecture import mac_count, param_count
from pipdream.blob import check_die, read_file
from pipdream.style import Style

ImageSource = Callable[[Path, np.ndarray, np.ndarray], np.ndarray]


def images_from_checkpoint(path: str | Path, faces: np.ndarray, latents: np.ndarray) -> np.ndarray:
    """Float decoder: faces (N,) 1..6, latents (N,) -> uint8 (N, 32, 32), output*255 rounded."""
    from pipdream.train import decode, load_decoder

    return decode(load_decoder(path), faces, latents)


def _reference():
    try:
        from pipdream import reference
    except ImportError as exc:
        raise ValueError(f"--blob needs pipdream.reference, which is unavailable: {exc}") from None
    return reference


def images_from_blob(path: str | Path, faces: np.ndarray, latents: np.ndarray) -> np.ndarray:
    """int8 blob through the integer reference; the latent becomes its 8-bit angle code."""
    ref = _reference()
    return ref.generate_batch(read_file(path), faces, ref.angle_code(latents))


def size_of_checkpoint(path: str | Path) -> tuple[int, int]:
    from pipdream.train import load_decoder

    cfg = load_decoder(path).cfg  # its config and weights checked together: one line if they disagree
    return param_count(cfg), mac_count(cfg)


def size_of_blob(path: str | Path) -> tuple[int, int]:
    model = check_die(_reference().load(read_file(path)), path)  # the judges read 32x32 dice
    return int(model.params), int(model.macs)


# The dispatch point: source kind -> (image generator, (params, macs) reader).
SOURCES: dict[str, tuple[ImageSource, Callable[[Path], tuple[int, int]]]] = {
    "checkpoint": (images_from_checkpoint, size_of_checkpoint),
    "blob": (images_from_blob, size_of_blob),
}


def score_images(
    images: np.ndarray, faces: np.ndarray, angles: np.ndarray, eval_weights: Path = paths.EVAL_PT,
    style: Style | None = None,
) -> dict:
    """images (N, 32, 32) uint8 for (faces, angles in degrees) -> mse (against the style's
    renders), accuracy, accuracy_1bit."""
    from pipdream import evalnet_numpy as judge  # the eval CNN in NumPy: no torch needed

    truth = dataset.render_batch(faces, angles, style)  # (N, 32, 32)
    diff = images.astype(np.float64) / 255.0 - truth.astype(np.float64) / 255.0
    return {
        "mse": float(np.mean(diff**2)),
        "accuracy": float(np.mean(judge.classify(images, eval_weights) == faces)),
        "accuracy_1bit": float(np.mean(judge.classify(judge.binarise(images), eval_weights) == faces)),
    }


def evaluate(
    kind: str, path: str | Path, n: int = 6000, seed: int = 0, eval_weights: Path = paths.EVAL_PT,
    style: Style | None = None,
) -> dict:
    """N dice with uniform random faces and angles from one source, scored against a style
    (None: the shipped die) by the eval CNN at eval_weights and the style's judge."""
    if kind not in SOURCES:
        raise ValueError(f"unknown image source {kind!r}; choose from {sorted(SOURCES)}")
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    generate, size = SOURCES[kind]
    params, macs = size(Path(path))
    faces, angles = dataset.sample_labels(n, np.random.default_rng(seed))
    images = generate(Path(path), faces, dataset.angle_to_latent(angles))
    return {
        "source": kind, "path": str(path), "params": params, "macs": macs, "n": n, "seed": seed,
        **score_images(images, faces, angles, eval_weights, style),
        **legibility.judge(images, faces, style),  # legible, legible_1bit, and each per face
    }
