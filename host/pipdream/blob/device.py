"""The board's own Python modules (device/*.py), imported into CPython for the host.

What the board and the host both need is written once, in the device module, and the
host wraps it: the blob parser (pdblob: every check and message, for reader.py) and the
tap geometry (pdinfer_py.tap_inputs, for model.py and the reference). Those modules run
on MicroPython, CircuitPython and CPython alike.

    from pipdream.blob import device
    pdblob = device.module("pdblob")
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

from pipdream import paths

DEVICE_DIR = paths.DEVICE


def module(name: str) -> ModuleType:
    """device/<name>.py as a module (imported once; device/ goes at the end of sys.path, so
    nothing installed is shadowed)."""
    if str(DEVICE_DIR) not in sys.path:
        sys.path.append(str(DEVICE_DIR))
    return importlib.import_module(name)
