"""Draw images with any of pipdream's inference backends, from the host.

    from pipdream.backends import generate_images
    images = generate_images("natmod", blob, faces=[1, 6], angle_codes=[0, -40])  # uint8 (2, 32, 32)

Backends:
    reference     host/pipdream/reference.py (NumPy): the definition of the bytes
    natmod        the pipnet native module (x64 build, stream plan) on the real MicroPython unix port
    natmod-full   the same module with its full-frame plan
    viper         device/pdinfer_viper.py (@micropython.viper kernels) on MicroPython
    python        device/pdinfer_py.py (pure Python) on MicroPython: slow, about a second per image

The MicroPython backends run every image of a call in one process through
device/pdinfer.py, exactly as the device app does.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pipdream import micropython as mpy
from pipdream import reference
from pipdream.blob.reader import load

BACKENDS = ("reference", "natmod", "natmod-full", "viper", "python")

# Runs in MicroPython: pairs.bin holds (face, angle code as a byte) pairs; images.bin gets the images.
_SCRIPT = """\
import pdinfer
blob = open("model.blob", "rb").read()
model, name = pdinfer.load(blob, {backend!r}, {plan!r})
assert name == {backend!r}, name
pairs = open("pairs.bin", "rb").read()
out = bytearray({size})
with open("images.bin", "wb") as f:
    for i in range(0, len(pairs), 2):
        a = pairs[i + 1]
        model.generate(pairs[i], a - 256 if a > 127 else a, out)
        f.write(out)
"""

# Seconds per image allowed before a run counts as hung (the pure-Python one is slowest).
_SECONDS_PER_IMAGE = {"natmod": 0.5, "natmod-full": 0.5, "viper": 2.0, "python": 30.0}


def generate_images(backend: str, blob: bytes, faces: Sequence[int] | np.ndarray,
                    angle_codes: Sequence[int] | np.ndarray) -> np.ndarray:
    """Images for (face, angle code) pairs: uint8 (N, out_h, out_w), (N, 32, 32) for our models.

    Raises ValueError for an unknown backend, a malformed blob or out-of-range inputs,
    and pipdream.micropython.MicroPythonError if the MicroPython run fails."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose from {', '.join(BACKENDS)}")
    model = load(blob)  # BlobError (a ValueError) before anything runs
    x = reference.encode_inputs(faces, angle_codes, model.n_faces)  # range checks
    n = x.shape[0]
    _, oh, ow = model.out_shape
    if backend == "reference":
        return reference.run(model, np.asarray(faces).reshape(-1), np.asarray(angle_codes).reshape(-1))
    if n == 0:
        return np.zeros((0, oh, ow), np.uint8)
    pairs = np.stack([np.asarray(faces).reshape(-1), np.asarray(angle_codes).reshape(-1)], axis=1)
    files = {"model.blob": bytes(blob), "pairs.bin": pairs.astype(np.int8).tobytes()}
    name, plan = backend, None
    if backend.startswith("natmod"):
        files["pipnet.mpy"] = mpy.natmod_mpy("x64")
        name, plan = "natmod", ("full" if backend == "natmod-full" else "stream")
    script = _SCRIPT.format(backend=name, plan=plan, size=oh * ow)
    _, got = mpy.run_collect(script, path=[mpy.DEVICE_DIR], files=files, collect=["images.bin"],
                             timeout=60 + n * _SECONDS_PER_IMAGE[backend])
    images = np.frombuffer(got["images.bin"], np.uint8)
    if images.size != n * oh * ow:
        raise mpy.MicroPythonError(f"{backend}: expected {n} images, got {images.size} bytes")
    return images.reshape(n, oh, ow)


def default_blob(seed: int = 0) -> bytes:
    """models/default.blob if it exists, else a random valid blob of the default architecture
    (decoder.layer_specs of DecoderConfig()): what tests and benchmarks run when no
    trained model is shipped. Random weights, so the images are noise, but the shapes,
    MACs and scratch are those of the real thing."""
    from pipdream.paths import MODELS

    shipped = MODELS / "default.blob"
    if shipped.exists():
        return shipped.read_bytes()
    from pipdream.blob.synthetic import default_shape_blob

    return default_shape_blob(seed)


