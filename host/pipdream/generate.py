"""Generate dice for explicit (face, angle) pairs and write them as .png or .npy."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pipdream import dataset, grid
from pipdream.blob import read_file
from pipdream.evaluate import images_from_checkpoint

SUFFIXES = (".png", ".npy")


def parse_list(text: str, kind: type, name: str) -> list:
    """"1,2,3" -> [1, 2, 3]; a clear ValueError naming the option on bad items."""
    try:
        return [kind(item) for item in text.split(",")]
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
    for f, a in zip(faces, angles):
        dataset.check_face_angle(f, a)
    return np.array(faces, np.int64), np.array(angles, np.float32)


def generate(checkpoint: str | Path, faces: np.ndarray, angles: np.ndarray) -> np.ndarray:
    """faces (N,), angles (N,) degrees -> uint8 (N, 32, 32) from a float checkpoint."""
    return images_from_checkpoint(checkpoint, faces, dataset.angle_to_latent(angles))


def generate_from_blob(blob: str | Path, faces: np.ndarray, angles: np.ndarray,
                       backend: str = "reference") -> np.ndarray:
    """The int8 model on any backend (pipdream.backends): the angle becomes its 8-bit code."""
    from pipdream import backends, reference

    codes = reference.angle_code(dataset.angle_to_latent(angles))
    return backends.generate_images(backend, read_file(blob), faces, codes)


def write(path: str | Path, images: np.ndarray, faces: np.ndarray, angles: np.ndarray,
          scale: int = 8) -> None:
    """.npy: the uint8 (N, 32, 32) array; .png: an upscaled labelled grid."""
    path = Path(path)
    if path.suffix == ".npy":
        np.save(path, images)
    elif path.suffix == ".png":
        grid.save_grid(path, images, grid.face_angle_labels(faces, angles), scale=scale)
    else:
        raise ValueError(f"output must end in {' or '.join(SUFFIXES)}, got {path}")
