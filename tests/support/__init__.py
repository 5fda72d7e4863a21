"""Helpers the tests share: the C kernel library (kernels), running device/ code (device), the
board on a pseudo-terminal that mpremote talks to (emulator)."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]  # the checkout the tests run in (tests/support/ -> root)
