"""Shared fixtures: the repo's paths, the shipped blob, and default-architecture models."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pipdream.blob import QModel, load, pack
from pipdream.blob import format as F
from pipdream.blob.synthetic import random_layer
from pipdream.decoder import DecoderConfig, layer_specs

ROOT = Path(__file__).resolve().parents[1]
SHIPPED_BLOB = ROOT / "models" / "default.blob"
KINDS = {"fc": F.KIND_FC, "convT": F.KIND_CONVT, "conv": F.KIND_CONV}


def default_arch_model(seed: int = 0, cfg: DecoderConfig | None = None) -> QModel:
    """Random weights in exactly the shapes of the default decoder."""
    rng = np.random.default_rng(seed)
    layers = [
        random_layer(rng, KINDS[s.kind], s.in_shape, s.out_shape,
                     F.DTYPE_INT8 if i == 0 else F.DTYPE_UINT8,
                     s.kernel, s.stride, s.padding, s.output_padding)
        for i, s in enumerate(layer_specs(cfg or DecoderConfig()))
    ]
    return QModel(layers)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def shipped_blob() -> bytes:
    """models/default.blob, the model every board runs."""
    return SHIPPED_BLOB.read_bytes()


@pytest.fixture(scope="session")
def shipped_model(shipped_blob: bytes) -> QModel:
    return load(shipped_blob)


@pytest.fixture(scope="session")
def default_arch_blob() -> bytes:
    return pack(default_arch_model())
