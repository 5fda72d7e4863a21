"""Writes the fuzz seed corpus (tests/fuzz/corpus/), committed with the harness:

    .venv/bin/python tests/fuzz/make_corpus.py

A seed is [mode][angle code][blob] (see pd_fuzz.c): valid blobs (small random
models and the default architecture) with their CRC re-signed by the harness,
and a few defective ones with their stored CRC.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: conftest, support.kernels

from conftest import default_arch_model  # noqa: E402
from pipdream.blob import pack  # noqa: E402
from pipdream.blob.synthetic import random_model  # noqa: E402
from support.kernels import crafted  # noqa: E402

CORPUS = Path(__file__).resolve().parent / "corpus"


def seeds() -> dict[str, bytes]:
    rng = np.random.default_rng(2024)
    out = {"default_arch": bytes([1, 40]) + pack(default_arch_model(0))}
    for i in range(12):
        model = random_model(rng, n_layers=int(rng.integers(1, 6)), n_faces=int(rng.integers(1, 9)))
        out[f"random_{i:02d}"] = bytes([1 | (i << 1), (i * 37) % 256]) + pack(model)
    small = pack(random_model(np.random.default_rng(23), n_layers=3))
    for i, (_name, bad) in enumerate(crafted(small)):
        if i % 9 == 0:  # a sample of defects, CRC as stored
            out[f"defect_{i:03d}"] = bytes([0, 0]) + bad
    return out


def main() -> None:
    CORPUS.mkdir(exist_ok=True)
    for old in CORPUS.glob("*.bin"):
        old.unlink()
    for name, data in seeds().items():
        (CORPUS / f"{name}.bin").write_bytes(data)
    print(f"{len(list(CORPUS.glob('*.bin')))} seeds in {CORPUS}")


if __name__ == "__main__":
    main()
