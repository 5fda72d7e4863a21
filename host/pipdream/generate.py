"""Generate dice for explicit (face, angle) pairs and write them as .png or .npy."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pipdream import dataset, grid
from pipdream.blob import load_die
from pipdream.cli import number

SUFFIXES = (".png", ".npy")
MAX_DICE = 4096  # per call: (N, 32, 32) bytes stay a few MB
MAX_PNG_PIXELS = 50_000_000  # the preview sheet (8-bit grey): 50 MB


def parse_list(text: str, kind: type, name: str) -> list:
    """"1,2,3" -> [1, 2, 3]; a clear ValueError naming the option on bad items."""
    try:
        return [kind(number(item, kind)) for item in text.split(",")]  # ASCII digits, finite
    except ValueError:
        raise ValueError(f"--{name} must be a comma-separated list of numbers, got {text!r}") from None


def zip_pairs(faces: list[int], angles: list[float]) -> tuple[np.ndarray, np.ndarray]:
    """Zipped lists -> faces (N,), angles (N,) degrees; a single value repeats to match."""
    if len(faces) == 1:
        faces = faces * len(angles)
    if len(angles) == 1:
        angles = angles * len(faces)
    if len(faces) != len(angles):
        raise ValueError(f"{len(faces)} faces but {len(angles)} angles: lists are zipped, "
                         "so give equal lengths (or a single value)")
    if len(faces) > MAX_DICE:
        raise ValueError(f"{len(faces)} dice: at most {MAX_DICE} per call")
    for f, a in zip(faces, angles):
        dataset.check_face_angle(f, a)
    return np.array(faces, np.int64), np.array(angles, np.float32)


def generate(checkpoint: str | Path, faces: np.ndarray, angles: np.ndarray) -> np.ndarray:
    """faces (N,), angles (N,) degrees -> uint8 (N, 32, 32) from a float checkpoint (needs torch)."""
    from pipdream.evaluate import images_from_checkpoint

    return images_from_checkpoint(checkpoint, faces, dataset.angle_to_latent(angles))


def generate_from_blob(blob: str | Path, faces: np.ndarray, angles: np.ndarray,
                       backend: str = "reference") -> np.ndarray:
    """The int8 model on any backend (pipdream.backends): the angle becomes its 8-bit code."""
    from pipdream import backends, reference

    codes = reference.angle_code(dataset.angle_to_latent(angles))
    data, _ = load_die(blob)  # a valid blob that is not the die: one line, before any backend runs
    return backends.generate_images(backend, data, faces, codes)


def check_png(n: int, scale: int) -> None:
    """ValueError when the preview sheet of n dice at scale would be too big to make."""
    w, h = grid.grid_size(n, dataset.SIZE, dataset.SIZE, scale)
    if w * h > MAX_PNG_PIXELS:
        raise ValueError(f"the PNG sheet of {n} dice at --scale {scale} would be {w}x{h} pixels, over "
                         f"{MAX_PNG_PIXELS // 1_000_000} million: use a smaller --scale, fewer dice, "
                         f"or .npy")


def write(path: str | Path, images: np.ndarray, faces: np.ndarray, angles: np.ndarray,
          scale: int = 8) -> None:
    """.npy: the uint8 (N, 32, 32) array; .png: an upscaled labelled grid. Written under a
    temporary name and renamed (missing folders are created)."""
    from pipdream import files

    path = Path(path)
    if path.suffix not in SUFFIXES:
        raise ValueError(f"output must end in {' or '.join(SUFFIXES)}, got {path}")
    if path.suffix == ".png":
        check_png(len(images), scale)
    with files.atomic(path) as tmp:
        if path.suffix == ".npy":
            np.save(tmp, images)
        else:
            grid.save_grid(tmp, images, grid.face_angle_labels(faces, angles), scale=scale)
