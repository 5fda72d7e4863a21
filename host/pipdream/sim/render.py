"""Pictures of an OLED panel: PNG and GIF through Pillow, and Unicode half blocks for terminals."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

OLED_ON = np.array([235, 248, 255], dtype=np.float64)  # a cool white, like the common modules
OLED_OFF = np.array([10, 12, 16], dtype=np.uint8)


def to_image(panel: np.ndarray, *, scale: int = 4, brightness: float = 1.0, gap: bool = True) -> Image.Image:
    """A panel bool array (h, w) as an RGB image, each pixel a scale x scale dot.

    With `gap` (and scale >= 3) a one-pixel dark grid separates the dots, like the real glass.
    """
    if panel.ndim != 2:
        raise ValueError(f"panel must be a 2-D array, got shape {panel.shape}")
    if scale < 1:
        raise ValueError("scale must be at least 1")
    on = np.clip(OLED_ON * (0.25 + 0.75 * brightness), 0, 255).astype(np.uint8)
    rgb = np.where(panel[:, :, None], on, OLED_OFF).astype(np.uint8)  # (h, w, 3)
    big = rgb.repeat(scale, axis=0).repeat(scale, axis=1)  # (h*scale, w*scale, 3)
    if gap and scale >= 3:
        big[scale - 1::scale, :, :] = OLED_OFF
        big[:, scale - 1::scale, :] = OLED_OFF
    return Image.fromarray(big, "RGB")


def save_png(panel: np.ndarray, path: Path, *, scale: int = 4, brightness: float = 1.0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    to_image(panel, scale=scale, brightness=brightness).save(path, format="PNG")
    return path


def save_gif(frames: Sequence[np.ndarray], durations_ms: Sequence[int], path: Path, *,
             scale: int = 4, hold_last_ms: int = 1500) -> Path:
    """An animated GIF of panel frames, each shown for its duration; the last one held longer."""
    if not frames:
        raise ValueError("no frames to write")
    if len(durations_ms) != len(frames):
        raise ValueError("one duration per frame is needed")
    images = [to_image(f, scale=scale).convert("P", palette=Image.Palette.ADAPTIVE, colors=4)
              for f in frames]
    # GIF delays are in units of 10 ms; browsers treat under 20 ms as 100 ms, so floor at 20.
    durations = [max(20, int(round(d / 10.0)) * 10) for d in durations_ms]
    durations[-1] = max(durations[-1], hold_last_ms)
    path.parent.mkdir(parents=True, exist_ok=True)
    images[0].save(path, format="GIF", save_all=True, append_images=images[1:],
                   duration=durations, loop=0, optimize=False, disposal=1)
    return path


_HALF = {(False, False): " ", (True, False): "\u2580", (False, True): "\u2584", (True, True): "\u2588"}


# Quadrant blocks indexed by (top-left, top-right, bottom-left, bottom-right) as a 4-bit number.
_QUAD = " \u2597\u2596\u2584\u259d\u2590\u259e\u259f\u2598\u259a\u258c\u2599\u2580\u259c\u259b\u2588"


def to_terminal(panel: np.ndarray, *, border: bool = True, quarter: bool = False) -> str:
    """The panel as text: two pixel rows per line with Unicode half blocks (lit = block), or
    with `quarter` 2x2 pixels per character (quadrant blocks: half the width, for narrow terminals)."""
    h, w = panel.shape
    if h % 2:
        panel = np.vstack([panel, np.zeros((1, w), dtype=bool)])
    lines = []
    if quarter:
        if w % 2:
            panel = np.hstack([panel, np.zeros((panel.shape[0], 1), dtype=bool)])
        p = panel.astype(np.uint8)
        code = (p[0::2, 0::2] << 3) | (p[0::2, 1::2] << 2) | (p[1::2, 0::2] << 1) | p[1::2, 1::2]
        lines = ["".join(_QUAD[c] for c in row) for row in code]
        w = code.shape[1]
    else:
        for y in range(0, panel.shape[0], 2):
            top, bottom = panel[y], panel[y + 1]
            lines.append("".join(_HALF[(bool(a), bool(b))] for a, b in zip(top, bottom)))
    if border:
        lines = ["\u250c" + "\u2500" * w + "\u2510"] + [f"\u2502{s}\u2502" for s in lines] + [
            "\u2514" + "\u2500" * w + "\u2518"]
    return "\n".join(lines)
