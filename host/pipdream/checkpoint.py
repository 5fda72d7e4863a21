"""Loading the project's torch checkpoints, which carry a format tag and a version:
a missing file, someone else's file or another version is a ValueError naming it."""

from __future__ import annotations

from pathlib import Path

import torch


def load_tagged(path: str | Path, fmt: str, version: int, what: str, hint: str = "") -> dict:
    """The checkpoint dict at `path` if its "format" is fmt and its "version" is version;
    `what` names the kind in messages, `hint` (e.g. the command that makes one) follows
    the not-found message."""
    path = Path(path)
    if not path.exists():
        raise ValueError(f"{what} not found: {path}{hint}")
    ckpt = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(ckpt, dict) or ckpt.get("format") != fmt:
        raise ValueError(f"{path} is not a pipdream {what}")
    if ckpt.get("version") != version:
        raise ValueError(f"{path}: unsupported {what} version {ckpt.get('version')}")
    return ckpt
