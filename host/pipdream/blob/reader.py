"""Blob reader for untrusted input: the board's parser (device/pdblob.py) run on CPython,
then the layers as NumPy arrays. Field numbers (H1.., L1..) match writer.py.

Every defect raises BlobError (a ValueError) naming the field and its offset; each check
and its message is written once, in pdblob. The C parser (natmod/kernels/pd_blob.c)
makes the same checks in the same order.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pipdream.blob import device
from pipdream.blob import format as F
from pipdream.blob.model import QLayer, QModel

pdblob = device.module("pdblob")
BlobError = pdblob.BlobError  # the one class: `except BlobError` catches the parser's errors


def _layer(data: bytes, e) -> QLayer:
    """A layer table entry that pdblob.parse validated (pdblob.Layer) with its payload."""
    counts = (e.n_weights, e.n_ch, e.n_ch, e.n_ch)
    w, b, m, s = (np.frombuffer(data, "<" + code, count, getattr(e, sec + "_off"))
                  for (sec, code), count in zip(F.SECTIONS, counts))
    weights = w.astype(np.int8).reshape((e.n_ch, e.in_c) if e.kind == F.KIND_FC
                                        else (e.out_c, e.kernel, e.kernel, e.in_c))
    return QLayer(e.kind, (e.in_c, e.in_h, e.in_w), (e.out_c, e.out_h, e.out_w), weights,
                  b.astype(np.int32), m.astype(np.uint16), s.astype(np.uint8), e.kernel, e.stride,
                  e.padding, e.output_padding, e.in_type, e.act)


def read_file(path: str | Path) -> bytes:
    """A blob file's bytes; load() checks them. ValueError naming the file when it is not
    there, is a directory, is empty or is another kind of file (a checkpoint, a text file)."""
    from pipdream import files

    path = files.input_file(path, "model blob", empty_ok=True)  # load() says "truncated"
    data = path.read_bytes()
    if data[:4] != F.MAGIC[:len(data)] and files.sniff(path) != "data":  # a torn blob is load()'s
        raise ValueError(f"{path} is {files.describe(path)}, not a model blob (pipdream pack writes one)")
    return data


def load(data: bytes | bytearray | memoryview) -> QModel:
    """Parse and validate a blob; raises BlobError on any defect."""
    data = bytes(data)
    h, entries = pdblob.parse(data)
    return QModel([_layer(data, e) for e in entries], h.n_faces, h.latent_size, h.flags)


def check_die(model: QModel, name: str | Path) -> QModel:
    """model, if it is the die every executor draws and judges: N_FACES faces in, one
    OUT_HxOUT_W channel out. Otherwise ValueError naming what it is instead (a valid blob can
    be any small network: a 2x2 output or 32 faces pass the reader's checks)."""
    c, h, w = model.out_shape
    if model.n_faces != F.N_FACES:
        raise ValueError(f"{name} has {model.n_faces} faces, not the {F.N_FACES} of a die")
    if (h, w) != (F.OUT_H, F.OUT_W):
        raise ValueError(f"{name} draws {w}x{h} images, not the {F.OUT_W}x{F.OUT_H} die")
    if c != F.OUT_C:
        raise ValueError(f"{name} draws {c}-channel images, not the {F.OUT_C}-channel die")
    return model


def load_die(path: str | Path) -> tuple[bytes, QModel]:
    """The blob file at path, read, checked (load) and known to be the die (check_die)."""
    data = read_file(path)
    return data, check_die(load(data), path)
