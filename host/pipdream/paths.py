"""Where the repository, the shipped models and the render cache live."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]  # host/pipdream/paths.py -> repo root
MODELS = REPO / "models"
DECODER_PT = MODELS / "decoder.pt"
EVAL_PT = MODELS / "eval.pt"


def shown(path: Path) -> str:
    """A path as messages show it: relative to the repo when inside it."""
    try:
        return str(path.resolve().relative_to(REPO))
    except ValueError:
        return str(path)


def cache_dir() -> Path:
    """Render cache (gitignored); PIPDREAM_CACHE overrides it."""
    return Path(os.environ.get("PIPDREAM_CACHE", REPO / ".cache"))
