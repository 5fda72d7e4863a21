"""The evaluation CNN without torch: evalnet.EvalNet's forward pass in NumPy, on the weights of
its checkpoint (models/eval.pt) read without torch, so the base install judges dice too.

    faces = classify(images)        # (N, 32, 32) uint8 -> (N,) int64 in 1..6

The checkpoint is torch.save's zip: data.pkl names the tensors, data/<key> holds each storage's
bytes. The unpickler admits only the three globals a float checkpoint uses (no code runs), and
the checkpoint's format tag and version are checked as evalnet.load checks them.
tests/test_evalnet_numpy.py checks the predictions equal evalnet.classify's.
"""

from __future__ import annotations

import io
import pickle
import zipfile
from collections import OrderedDict
from functools import cache
from pathlib import Path

import numpy as np

from pipdream import checkpoint, files, paths

FORMAT, VERSION = checkpoint.EVAL, 1  # evalnet.FORMAT, evalnet.VERSION (that module imports torch)


class _FloatStorage:
    """Marks a float32 storage in the pickle's persistent ids."""


def _rebuild_tensor(storage: np.ndarray, offset: int, size: tuple, stride: tuple, *_: object) -> np.ndarray:
    if not size:
        return storage[offset].copy()
    view = np.lib.stride_tricks.as_strided(storage[offset:], size, [s * storage.itemsize for s in stride])
    return view.copy()


class _Unpickler(pickle.Unpickler):
    ALLOWED = {("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
               ("torch", "FloatStorage"): _FloatStorage, ("collections", "OrderedDict"): OrderedDict}

    def __init__(self, data: bytes, archive: zipfile.ZipFile, prefix: str) -> None:
        super().__init__(io.BytesIO(data))
        self.archive, self.prefix = archive, prefix

    def find_class(self, module: str, name: str) -> object:
        try:
            return self.ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"{module}.{name} is not part of an eval CNN checkpoint") from None

    def persistent_load(self, pid: tuple) -> np.ndarray:
        kind, storage_type, key, _location, _numel = pid
        if kind != "storage" or storage_type is not _FloatStorage:
            raise pickle.UnpicklingError(f"unexpected storage {pid[:2]!r}")
        return np.frombuffer(self.archive.read(f"{self.prefix}/data/{key}"), dtype="<f4")


@cache
def load(path: str | Path = paths.EVAL_PT) -> dict[str, np.ndarray]:
    """The state dict of an eval CNN checkpoint as float32 arrays; ValueError naming the file
    when it is not one."""
    path = Path(path)
    if path.exists():  # a folder, a blob, a text file: named as checkpoint.load names them
        files.expect(path, "torch", "eval CNN checkpoint")
    try:
        with zipfile.ZipFile(path) as archive:
            pkl = next(n for n in archive.namelist() if n.endswith("/data.pkl"))
            ckpt = _Unpickler(archive.read(pkl), archive, pkl.rpartition("/")[0]).load()
    except FileNotFoundError:
        raise ValueError(f"{path}: not found (pipdream train-eval writes the eval CNN)") from None
    except (OSError, StopIteration, KeyError, ValueError, zipfile.BadZipFile, pickle.UnpicklingError) as e:
        raise ValueError(f"{path} is not an eval CNN checkpoint ({e})") from None
    fmt = ckpt.get("format") if isinstance(ckpt, dict) else None
    if isinstance(fmt, str) and fmt.startswith("pipdream-") and fmt != FORMAT:
        raise ValueError(f"{path} is a {fmt.replace('-', ' ')} checkpoint, not an eval CNN checkpoint")
    if not isinstance(ckpt, dict) or fmt != FORMAT or ckpt.get("version") != VERSION:
        raise ValueError(f"{path} is not a version {VERSION} {FORMAT} checkpoint")
    return dict(ckpt["state_dict"])


def binarise(images: np.ndarray) -> np.ndarray:
    """What the 1-bit OLED shows: pixels >= 128 on (255), the rest off (0)."""
    return np.where(images >= 128, 255, 0).astype(np.uint8)


def _conv3x3(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """x (N, C, H, W), w (O, C, 3, 3), padding 1 -> (N, O, H, W)."""
    n, c, h, wd = x.shape
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    cols = np.lib.stride_tricks.sliding_window_view(padded, (3, 3), axis=(2, 3))  # (N, C, H, W, 3, 3)
    return np.einsum("nchwij,ocij->nohw", cols, w, optimize=True) + b[None, :, None, None]


def _pool2(x: np.ndarray) -> np.ndarray:
    n, c, h, w = x.shape
    return x.reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))


def logits(sd: dict[str, np.ndarray], images: np.ndarray) -> np.ndarray:
    """images (N, 32, 32) uint8 -> (N, 6) logits, as EvalNet.forward computes them."""
    x = (images.astype(np.float32) / 255.0)[:, None]  # (N, 1, 32, 32)
    x = _pool2(np.maximum(_conv3x3(x, sd["features.0.weight"], sd["features.0.bias"]), 0))  # (N, 8, 16, 16)
    x = _pool2(np.maximum(_conv3x3(x, sd["features.3.weight"], sd["features.3.bias"]), 0))  # (N, 16, 8, 8)
    x = np.maximum(x.reshape(len(x), -1) @ sd["head.1.weight"].T + sd["head.1.bias"], 0)  # (N, 32)
    return x @ sd["head.3.weight"].T + sd["head.3.bias"]  # (N, 6)


def classify(images: np.ndarray, weights: str | Path = paths.EVAL_PT, batch: int = 500) -> np.ndarray:
    """images (N, 32, 32) uint8 -> counted faces (N,) int64 in 1..6."""
    images = np.asarray(images)
    if images.ndim != 3 or images.shape[1:] != (32, 32) or images.dtype != np.uint8:
        raise ValueError(f"expected (N, 32, 32) uint8 images, got {images.shape} {images.dtype}")
    sd = load(Path(weights))
    out = [logits(sd, images[i:i + batch]).argmax(1) + 1 for i in range(0, len(images), batch)]
    return np.concatenate(out).astype(np.int64) if out else np.zeros(0, np.int64)
