"""Fixtures for the pipnet native module tests on the MicroPython unix runtime (no tests here):
the module's x64 build and a default-architecture blob to run on it. A test module imports the
fixture functions (natmod_fixture, arch_blob_fixture); its tests ask for natmod and arch_blob."""

from __future__ import annotations

from pathlib import Path

import pytest
from pipdream import micropython as mpy
from pipdream.blob import pack
from pipdream.blob.synthetic import default_shape_model


@pytest.fixture(scope="module", name="natmod")
def natmod_fixture() -> Path:
    """pipnet.mpy built for x64, the MicroPython unix runtime's architecture."""
    return mpy.natmod_mpy("x64")


@pytest.fixture(scope="module", name="arch_blob")
def arch_blob_fixture() -> bytes:
    """A blob of the default architecture with random weights (seed 5), not the shipped model."""
    return pack(default_shape_model(5))
