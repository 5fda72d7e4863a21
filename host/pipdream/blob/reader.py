"""Blob reader for untrusted input. Field numbers (H1.., L1..) match writer.py.

Every defect raises BlobError (a ValueError) naming the field and its offset.
The C parser (natmod/kernels/pd_blob.c) makes the same checks in the same order.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from pipdream.blob import format as F
from pipdream.blob.model import QLayer, QModel
from pipdream.blob.writer import blob_crc


class BlobError(ValueError):
    """A blob is malformed; the message says what is wrong and where."""


def _fields(data: bytes, base: int, fields: tuple) -> dict:
    return {n: struct.unpack_from("<" + c, data, base + o)[0] for n, o, c in fields}


def _offset(fields: tuple, name: str) -> int:
    return next(o for n, o, _ in fields if n == name)


def _require(cond: bool, where: str, msg: str) -> None:
    if not cond:
        raise BlobError(f"{where}: {msg}")


def _header(data: bytes) -> dict:
    n = len(data)
    _require(n >= F.HEADER_SIZE, "header", f"truncated: {n} bytes, the header alone is {F.HEADER_SIZE}")
    h = _fields(data, 0, F.HEADER_FIELDS)
    at = lambda name: f"header.{name} (offset {_offset(F.HEADER_FIELDS, name)})"  # noqa: E731
    _require(h["magic"] == F.MAGIC, at("magic"), f"bad magic {h['magic']!r}, expected {F.MAGIC!r}")  # H1
    _require(h["version"] == F.VERSION, at("version"),
             f"unsupported format version {h['version']}, this reader knows {F.VERSION}")  # H2
    _require(h["header_size"] == F.HEADER_SIZE, at("header_size"),
             f"{h['header_size']}, expected {F.HEADER_SIZE}")  # H3
    _require(h["total_size"] <= F.MAX_BLOB_SIZE, at("total_size"),
             f"{h['total_size']} exceeds the maximum {F.MAX_BLOB_SIZE}")  # H4
    _require(h["total_size"] == n, at("total_size"),
             f"declares {h['total_size']} bytes but the blob has {n} (truncated or torn copy?)")
    _require(h["crc32"] == blob_crc(data), at("crc32"),
             f"CRC mismatch: stored {h['crc32']:#010x}, computed {blob_crc(data):#010x}")  # H5
    _require(1 <= h["n_faces"] <= F.MAX_FACES, at("n_faces"),
             f"{h['n_faces']} not in 1..{F.MAX_FACES}")  # H6
    _require(h["latent_size"] == F.LATENT_SIZE, at("latent_size"),
             f"{h['latent_size']}, expected {F.LATENT_SIZE}")  # H7
    _require(1 <= h["out_h"] <= F.MAX_DIM, at("out_h"), f"{h['out_h']} not in 1..{F.MAX_DIM}")  # H8
    _require(1 <= h["out_w"] <= F.MAX_DIM, at("out_w"), f"{h['out_w']} not in 1..{F.MAX_DIM}")  # H9
    _require(h["out_c"] == F.OUT_C, at("out_c"), f"{h['out_c']}, expected {F.OUT_C}")  # H10
    _require(1 <= h["n_layers"] <= F.MAX_LAYERS, at("n_layers"),
             f"{h['n_layers']} not in 1..{F.MAX_LAYERS}")  # H11
    _require(h["layer_size"] == F.LAYER_SIZE, at("layer_size"),
             f"{h['layer_size']}, expected {F.LAYER_SIZE}")  # H12
    _require(h["flags"] == 0, at("flags"), f"{h['flags']:#x}, no flags are defined in v1")  # H13
    _require(h["reserved"] == 0, at("reserved"), "must be 0")  # H14
    table_end = F.HEADER_SIZE + h["n_layers"] * F.LAYER_SIZE
    _require(table_end <= n, "layer table", f"{h['n_layers']} layers end at {table_end}, past the blob ({n})")
    return h


def _out_dim(kind: int, n_in: int, k: int, s: int, p: int, op: int) -> int:
    if kind == F.KIND_CONVT:
        return (n_in - 1) * s - 2 * p + k + op
    return (n_in + 2 * p - k) // s + 1


def _layer(data: bytes, h: dict, i: int, prev_out: tuple[int, int, int]) -> QLayer:
    base = F.HEADER_SIZE + i * F.LAYER_SIZE
    e = _fields(data, base, F.LAYER_FIELDS)
    at = lambda name: f"layer {i}.{name} (offset {base + _offset(F.LAYER_FIELDS, name)})"  # noqa: E731
    kind = e["kind"]
    _require(kind in (F.KIND_FC, F.KIND_CONVT, F.KIND_CONV), at("kind"), f"unknown layer kind {kind}")  # L1
    _require(e["act"] == F.ACT_CLAMP, at("act"), f"unknown activation {e['act']}")  # L2
    ci, co, hi, wi, ho, wo = (e[k] for k in ("in_c", "out_c", "in_h", "in_w", "out_h", "out_w"))
    max_ci = F.MAX_FC_IN if kind == F.KIND_FC else F.MAX_CHANNELS
    _require(1 <= ci <= max_ci, at("in_c"), f"{ci} not in 1..{max_ci}")  # L3
    _require(1 <= co <= F.MAX_CHANNELS, at("out_c"), f"{co} not in 1..{F.MAX_CHANNELS}")  # L4
    for name, v in (("in_h", hi), ("in_w", wi), ("out_h", ho), ("out_w", wo)):  # L5-L8
        _require(1 <= v <= F.MAX_DIM, at(name), f"{v} not in 1..{F.MAX_DIM}")
    k, s, p, op = e["kernel"], e["stride"], e["padding"], e["output_padding"]
    if kind == F.KIND_FC:  # L9-L12
        _require(hi == 1 and wi == 1, at("in_h"), f"a dense layer takes a 1x1 input, not {hi}x{wi}")
        _require((k, s, p, op) == (1, 1, 0, 0), at("kernel"),
                 "a dense layer has kernel 1, stride 1, padding 0, output_padding 0")
        _require(co * ho * wo <= F.MAX_FC_OUT, at("out_c"),
                 f"{co}x{ho}x{wo} outputs exceed the maximum {F.MAX_FC_OUT}")
    else:
        _require(1 <= k <= F.MAX_KERNEL, at("kernel"), f"{k} not in 1..{F.MAX_KERNEL}")
        _require(1 <= s <= F.MAX_STRIDE, at("stride"), f"{s} not in 1..{F.MAX_STRIDE}")
        _require(p < k, at("padding"), f"{p} must be less than the kernel {k}")
        max_op = s - 1 if kind == F.KIND_CONVT else 0
        _require(op <= max_op, at("output_padding"), f"{op} not in 0..{max_op}")
        for name, n_in, n_out in (("out_h", hi, ho), ("out_w", wi, wo)):
            want = _out_dim(kind, n_in, k, s, p, op)
            _require(n_out == want, at(name), f"{n_out}, but the input size {n_in} gives {want}")
    want_type = F.DTYPE_INT8 if i == 0 else F.DTYPE_UINT8
    _require(e["in_type"] == want_type, at("in_type"), f"{e['in_type']}, expected {want_type}")  # L13
    _require(e["w_layout"] == F.LAYOUT_OHWI, at("w_layout"), f"unknown layout {e['w_layout']}")  # L14
    _require(e["reserved"] == 0, at("reserved"), "must be 0")  # L15
    _require((ci, hi, wi) == prev_out, at("in_c"),
             f"input {ci}x{hi}x{wi} (CxHxW) does not match the previous output "
             f"{prev_out[0]}x{prev_out[1]}x{prev_out[2]}")

    layer = QLayer(kind, (ci, hi, wi), (co, ho, wo), np.zeros(0, np.int8), np.zeros(0, np.int32),
                   np.zeros(0, np.uint16), np.zeros(0, np.uint8), k, s, p, op, e["in_type"], e["act"])
    n_ch = layer.n_ch
    table_end = F.HEADER_SIZE + h["n_layers"] * F.LAYER_SIZE
    total = len(data)
    arrays = []
    for sec, dtype, count in (("w", "<i1", layer.n_weights), ("b", "<i4", n_ch),  # L16-L23
                              ("m", "<u2", n_ch), ("s", "<u1", n_ch)):
        off, size = e[f"{sec}_off"], e[f"{sec}_size"]
        want = count * np.dtype(dtype).itemsize
        _require(size == want, at(f"{sec}_size"), f"{size} bytes, the shape needs {want}")
        _require(off % F.ALIGN == 0, at(f"{sec}_off"), f"{off} is not a multiple of {F.ALIGN}")
        _require(table_end <= off <= total and size <= total - off, at(f"{sec}_off"),
                 f"section [{off}, {off}+{size}) is outside the payload [{table_end}, {total})")
        arrays.append(np.frombuffer(data, dtype, count, off))
    w, b, m, sh = arrays
    layer.weights = w.astype(np.int8).reshape(
        (n_ch, ci) if kind == F.KIND_FC else (co, k, k, ci))
    layer.bias, layer.mult, layer.shift = b.astype(np.int32), m.astype(np.uint16), sh.astype(np.uint8)
    _check_values(layer, at)
    return layer


def _check_values(layer: QLayer, at) -> None:
    """Quantization parameters in range: a check per array, naming the first bad element."""
    checks = (
        ("w_off", layer.weights == -128, "is -128; weights are symmetric int8 in [-127, 127]"),
        ("b_off", np.abs(layer.bias.astype(np.int64)) > F.MAX_BIAS, f"exceeds +-{F.MAX_BIAS}"),
        ("m_off", layer.mult < F.MULT_MIN, f"is below {F.MULT_MIN}, the least multiplier"),
        ("s_off", layer.shift > F.MAX_SHIFT, f"exceeds {F.MAX_SHIFT}"),
    )
    for field, bad, msg in checks:
        if bad.any():
            j = int(np.flatnonzero(bad.ravel())[0])
            raise BlobError(f"{at(field)}: element {j} ({bad.ravel().size} in all) {msg}")


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
    h = _header(data)
    prev = (h["n_faces"] + h["latent_size"], 1, 1)
    layers = []
    for i in range(h["n_layers"]):
        layer = _layer(data, h, i, prev)
        layers.append(layer)
        prev = layer.out_shape
    _require(prev == (h["out_c"], h["out_h"], h["out_w"]), f"layer {h['n_layers'] - 1}",
             f"output {prev} (CxHxW) is not the declared image {h['out_c']}x{h['out_h']}x{h['out_w']}")
    return QModel(layers, h["n_faces"], h["latent_size"])
