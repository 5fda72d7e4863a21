"""Training figures: loss curve, sample grid, latent scan (matplotlib, Agg backend)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from pipdream import dataset  # noqa: E402
from pipdream.decoder import Decoder  # noqa: E402
from pipdream.train import decode  # noqa: E402


def loss_curve(path: str | Path, history: list[tuple[int, float]], title: str = "") -> None:
    steps, losses = zip(*history)
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.semilogy(steps, losses)
    ax.set_xlabel("step")
    ax.set_ylabel("train MSE")
    ax.set_title(title or "decoder training loss")
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _image_rows(path: str | Path, rows: list[np.ndarray], row_labels: list[str],
                col_labels: list[str], title: str) -> None:
    """rows: list of (K, 32, 32) uint8 -> a grid figure, one row each."""
    n_rows, n_cols = len(rows), len(rows[0])
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(n_cols * 0.9, n_rows * 1.0 + 0.4),
                             squeeze=False)
    for r, (imgs, rl) in enumerate(zip(rows, row_labels)):
        for c, img in enumerate(imgs):
            ax = axes[r, c]
            ax.imshow(img, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(col_labels[c], fontsize=7)
            if c == 0:
                ax.set_ylabel(rl, fontsize=8)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def sample_grid(path: str | Path, model: Decoder, n_angles: int = 6) -> None:
    """Per face: decoder output above the ground truth at a few angles."""
    angles = np.linspace(-90, 90, n_angles, endpoint=False)
    rows, labels = [], []
    for face in range(1, 7):
        faces = np.full(n_angles, face)
        rows.append(decode(model, faces, angles / 90.0))
        rows.append(dataset.render_batch(faces, angles))
        labels += [f"{face} model", f"{face} truth"]
    _image_rows(path, rows, labels, [f"{a:+.0f}" for a in angles],
                f"samples {model.cfg.name()} (angle in degrees)")


def latent_scan(path: str | Path, model: Decoder, steps: int = 11) -> None:
    """Per face: the angle latent swept from -1 to 1 (both ends show the same die)."""
    latents = np.linspace(-1.0, 1.0, steps)
    rows = [decode(model, np.full(steps, face), latents) for face in range(1, 7)]
    _image_rows(path, rows, [f"face {f}" for f in range(1, 7)],
                [f"{z:+.1f}" for z in latents], f"latent scan {model.cfg.name()}")


def write_all(prefix: str | Path, model: Decoder, history: list[tuple[int, float]]) -> list[Path]:
    """prefix_loss.png, prefix_samples.png, prefix_scan.png; returns the paths."""
    prefix = Path(prefix)
    prefix.parent.mkdir(parents=True, exist_ok=True)
    out = [Path(f"{prefix}_{k}.png") for k in ("loss", "samples", "scan")]
    loss_curve(out[0], history, f"training loss {model.cfg.name()}")
    sample_grid(out[1], model)
    latent_scan(out[2], model)
    return out
