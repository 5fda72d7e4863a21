"""Labelled preview grids of 32x32 dice, written as PNG with Pillow."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

_LABEL_H = 14  # pixels of caption under each tile
_PAD = 4


def grid_size(n: int, h: int, w: int, scale: int = 4, cols: int | None = None) -> tuple[int, int]:
    """(width, height) in pixels of the sheet grid_image makes for n tiles of h x w."""
    cols = cols or min(n, 8)
    rows = -(-n // cols)
    return cols * (w * scale + _PAD) + _PAD, rows * (h * scale + _LABEL_H + _PAD) + _PAD


def grid_image(
    images: np.ndarray, labels: Sequence[str], scale: int = 4, cols: int | None = None
) -> Image.Image:
    """images (N, H, W) uint8 -> one "L" image of upscaled tiles with a caption each."""
    if len(images) != len(labels):
        raise ValueError(f"{len(images)} images but {len(labels)} labels")
    n, h, w = images.shape
    cols = cols or min(n, 8)
    tile_w, tile_h = w * scale + _PAD, h * scale + _LABEL_H + _PAD
    sheet = Image.new("L", grid_size(n, h, w, scale, cols), 64)
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=11)
    for i, (img, label) in enumerate(zip(images, labels)):
        x, y = _PAD + (i % cols) * tile_w, _PAD + (i // cols) * tile_h
        tile = Image.fromarray(np.asarray(img, np.uint8)).resize((w * scale, h * scale), Image.NEAREST)
        sheet.paste(tile, (x, y))
        draw.text((x + 1, y + h * scale + 1), label, fill=255, font=font)
    return sheet


def save_grid(
    path: str | Path, images: np.ndarray, labels: Sequence[str], scale: int = 4,
    cols: int | None = None,
) -> None:
    grid_image(images, labels, scale, cols).save(path)


def face_angle_labels(faces: np.ndarray, angles: np.ndarray) -> list[str]:
    """Captions like "5 @ -37.5" (face @ angle in degrees)."""
    return [f"{int(f)} @ {float(a):+.1f}" for f, a in zip(faces, angles)]
