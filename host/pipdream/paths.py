"""Where pipdream's own files are, in a checkout and in an installed wheel alike.

The repository's folders are the single source: the wheel carries device/, boards/, models/
and natmod/ as package data under pipdream/_data (pyproject.toml's [tool.hatch.build] sources
mapping), and this module is the one place that finds them, with importlib.resources in an
install and beside the package in a checkout (an editable install has no _data).

    from pipdream import paths
    paths.DEVICE / "main.py"           # the device app
    paths.MODELS / "default.blob"      # a shipped model
    paths.cache_dir()                  # writable: builds, renders, compiled .mpy
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path


def _checkout() -> Path | None:
    """The repository root when pipdream runs from a checkout (host/pipdream/ -> root), else None."""
    root = Path(__file__).resolve().parents[2]
    return root if (root / "device").is_dir() and (root / "pyproject.toml").is_file() else None


def _data_root() -> Path:
    packaged = Path(str(resources.files("pipdream") / "_data"))
    if packaged.is_dir():
        return packaged
    if CHECKOUT is None:
        raise RuntimeError(f"pipdream's data is missing: neither {packaged} nor a checkout around it")
    return CHECKOUT


CHECKOUT = _checkout()  # None in an installed wheel: nothing may need the checkout's other folders
DATA = _data_root()  # holds device/, boards/, models/, natmod/ in the repository's layout
DEVICE = DATA / "device"
BOARDS = DATA / "boards"
MODELS = DATA / "models"
NATMOD = DATA / "natmod"
AVR_BOARD = BOARDS / "atmega328p"
DECODER_PT = MODELS / "decoder.pt"
EVAL_PT = MODELS / "eval.pt"


def shown(path: Path) -> str:
    """A path as messages show it: relative to the checkout (or the installed data) when inside it."""
    for base in (CHECKOUT, DATA):
        if base is None:
            continue
        try:
            return str(path.resolve().relative_to(base))
        except ValueError:
            pass
    return str(path)


def cache_dir() -> Path:
    """Writable working space (builds, render cache, compiled .mpy): $PIPDREAM_CACHE, else the
    checkout's .cache (gitignored), else $XDG_CACHE_HOME/pipdream (~/.cache/pipdream)."""
    if os.environ.get("PIPDREAM_CACHE"):
        return Path(os.environ["PIPDREAM_CACHE"])
    if CHECKOUT is not None:
        return CHECKOUT / ".cache"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "pipdream"
