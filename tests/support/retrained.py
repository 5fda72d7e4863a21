"""A retrained blob for the board tests: `pipdream retrain`'s stages on a tiny schedule (its
bytes are a real retraining's output; its dice are not meant to be legible)."""

from __future__ import annotations

from pathlib import Path

from pipdream import retrain, style

# The stages' schedule cut to seconds (from random weights): the files and the plumbing.
TINY = retrain.Plan("tiny", False, 600, 1, 2000, 30, 2e-3, 10, 2e-3, 20, 2e-3, 10)
BIG_PIPS = style.Style(pip_scale=1.25, corner_scale=0.5)


def retrained_blob(folder: Path) -> Path:
    """DIR/model.blob of a tiny retraining of the big-pip style into folder."""
    retrain.retrain(folder, BIG_PIPS, TINY, threads=1, log=lambda line: None)
    return folder / "model.blob"
