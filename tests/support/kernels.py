"""Helpers for the C kernel tests (tests/test_kernels_*.py): the host library,
the C status codes by name, and the blob corruption suite with the C status
each corruption must produce, derived from the Python reader's message."""

from __future__ import annotations

import re
import shutil
import struct
from collections.abc import Iterator

import numpy as np
import pytest
from pipdream import ckernels
from pipdream.blob import BlobError, load
from pipdream.blob import format as F
from pipdream.blob.writer import with_crc

HEADER = ckernels.KERNELS / "pd_model.h"


def kernels(stream_target_bytes: int | None = None) -> ckernels.Kernels:
    if not ckernels.have_compiler():
        pytest.skip("no C compiler")
    return ckernels.load(stream_target_bytes=stream_target_bytes)


def status_codes() -> dict[str, int]:
    """The status enum of pd_model.h, by name (PD_OK = 0, then one per line in order)."""
    body = re.search(r"enum \{\s*(PD_OK = 0,.*?)PD_N_STATUS", HEADER.read_text(), re.S).group(1)
    names = re.findall(r"^\s*(PD_\w+)", body, re.M)
    return {name: i for i, name in enumerate(names)}


CODES = status_codes()
PARSER_CODES = [n for n, v in CODES.items()
                if CODES["PD_ERR_HEADER_TRUNCATED"] <= v <= CODES["PD_ERR_OUTPUT_SHAPE"]]

# reader.py message -> C status name. Fields named "layer i.<field>" map to
# PD_ERR_L_<FIELD> unless the message text picks a more specific check.
_LAYER_SPECIAL = (
    (r"^in_h: a dense layer takes", "PD_ERR_L_FC_INPUT"),
    (r"^kernel: a dense layer has", "PD_ERR_L_FC_GEOMETRY"),
    (r"^out_c: .* outputs exceed", "PD_ERR_L_FC_OUT"),
    (r"^out_h: \d+, but the input size", "PD_ERR_L_OUT_H_SHAPE"),
    (r"^out_w: \d+, but the input size", "PD_ERR_L_OUT_W_SHAPE"),
    (r"^in_c: input .* does not match", "PD_ERR_L_CHAIN"),
    (r"^([wbms])_off: \d+ is not a multiple", "PD_ERR_L_{0}_ALIGN"),
    (r"^([wbms])_off: section .* outside the payload", "PD_ERR_L_{0}_BOUNDS"),
    (r"^([wbms])_off: element", "PD_ERR_L_{0}_VALUE"),
    (r"^([wbms])_size:", "PD_ERR_L_{0}_SIZE"),
)


def expected_status(message: str) -> tuple[str, int]:
    """(C status name, err_layer) that the C parser must report for a reader.py BlobError."""
    if message.startswith("header: truncated"):
        return "PD_ERR_HEADER_TRUNCATED", 0xFF
    if message.startswith("layer table:"):
        return "PD_ERR_TABLE_TRUNCATED", 0xFF
    if m := re.match(r"header\.(\w+) \(offset \d+\): (.*)", message):
        field, text = m.groups()
        if field == "total_size":
            return ("PD_ERR_TOTAL_SIZE_MAX" if "exceeds" in text else "PD_ERR_TOTAL_SIZE"), 0xFF
        return {"crc32": "PD_ERR_CRC"}.get(field, f"PD_ERR_{field.upper()}"), 0xFF
    if m := re.match(r"layer (\d+): output", message):
        return "PD_ERR_OUTPUT_SHAPE", int(m.group(1))
    m = re.match(r"layer (\d+)\.(\w+) \(offset \d+\): (.*)", message)
    assert m, f"unclassified reader message: {message}"
    layer, rest = int(m.group(1)), f"{m.group(2)}: {m.group(3)}"
    for pattern, name in _LAYER_SPECIAL:
        if s := re.match(pattern, rest):
            return name.format(*(g.upper() for g in s.groups())), layer
    return f"PD_ERR_L_{m.group(2).upper()}", layer


def python_verdict(blob: bytes) -> tuple[str, int]:
    """What the Python reader says, as the C status name and err_layer."""
    try:
        load(blob)
    except BlobError as e:
        return expected_status(str(e))
    return "PD_OK", 0xFF


# ---- the corruption suite ----------------------------------------------------------


def _field(fields: tuple, name: str) -> tuple[int, str]:
    return next((o, c) for n, o, c in fields if n == name)


def patch_header(blob: bytes, name: str, value: int | bytes, sign: bool = True) -> bytes:
    off, code = _field(F.HEADER_FIELDS, name)
    out = bytearray(blob)
    struct.pack_into("<" + code, out, off, value)
    return with_crc(out) if sign else bytes(out)


def patch_layer(blob: bytes, i: int, name: str, value: int) -> bytes:
    off, code = _field(F.LAYER_FIELDS, name)
    out = bytearray(blob)
    struct.pack_into("<" + code, out, F.HEADER_SIZE + i * F.LAYER_SIZE + off, value)
    return with_crc(out)


def layer_field(blob: bytes, i: int, name: str) -> int:
    off, code = _field(F.LAYER_FIELDS, name)
    return struct.unpack_from("<" + code, blob, F.HEADER_SIZE + i * F.LAYER_SIZE + off)[0]


def patch_field(blob: bytes, field: str, value: int | bytes) -> bytes:
    """Set the field a reader's message names ("header.n_faces", "layer 1.act") and re-sign the CRC."""
    record, name = field.split(".")
    if record == "header":
        return patch_header(blob, name, value)
    return patch_layer(blob, int(record.removeprefix("layer ")), name, value)


def patch_at(blob: bytes, offset: int, fmt: str, value: int) -> bytes:
    out = bytearray(blob)
    struct.pack_into("<" + fmt, out, offset, value)
    return with_crc(out)


def crafted(blob: bytes) -> Iterator[tuple[str, bytes]]:
    """Hand-made defects, one field at a time, re-signed so the CRC passes."""
    n_layers = blob[21]
    yield "empty", b""
    yield "header only", blob[:F.HEADER_SIZE - 1]
    yield "bad magic", patch_header(blob, "magic", b"PIPE")
    yield "version 2", patch_header(blob, "version", 2)
    yield "version 0", patch_header(blob, "version", 0)
    yield "header size", patch_header(blob, "header_size", 33)
    yield "total over max", patch_header(blob, "total_size", F.MAX_BLOB_SIZE + 1)
    yield "total 0xFFFFFFFF", patch_header(blob, "total_size", 0xFFFFFFFF)
    yield "total short", patch_header(blob, "total_size", len(blob) - 4)
    yield "appended byte", blob + b"\0"
    yield "crc", patch_header(blob, "crc32", 0, sign=False)
    yield "n_faces 0", patch_header(blob, "n_faces", 0)
    yield "n_faces 33", patch_header(blob, "n_faces", 33)
    yield "latent 2", patch_header(blob, "latent_size", 2)
    yield "out_h 0", patch_header(blob, "out_h", 0)
    yield "out_h 65", patch_header(blob, "out_h", 65)
    yield "out_w 255", patch_header(blob, "out_w", 255)
    yield "out_c 2", patch_header(blob, "out_c", 2)
    yield "n_layers 0", patch_header(blob, "n_layers", 0)
    yield "n_layers 17", patch_header(blob, "n_layers", 17)
    cut = F.HEADER_SIZE + F.LAYER_SIZE * n_layers - 1
    yield "layer table past the end", patch_header(blob[:cut], "total_size", cut)
    yield "layer size", patch_header(blob, "layer_size", 40)
    yield "flags 2", patch_header(blob, "flags", 2)
    yield "flags 0x80000001", patch_header(blob, "flags", 0x80000001)
    folded = patch_header(blob, "flags", F.FLAG_MIRROR_FOLD)  # valid with six faces
    yield "mirror fold of 5 faces", patch_header(folded, "n_faces", 5)
    yield "reserved", patch_header(blob, "reserved", 0x80000000)
    yield "declared image differs", patch_header(blob, "out_w", blob[19] - 1)
    for i in range(n_layers):
        kind = layer_field(blob, i, "kind")
        yield f"L{i} kind 0", patch_layer(blob, i, "kind", 0)
        yield f"L{i} kind 4", patch_layer(blob, i, "kind", 4)
        yield f"L{i} act", patch_layer(blob, i, "act", 2)
        yield f"L{i} in_c 0", patch_layer(blob, i, "in_c", 0)
        yield f"L{i} in_c 255", patch_layer(blob, i, "in_c", 255)
        yield f"L{i} out_c 0", patch_layer(blob, i, "out_c", 0)
        yield f"L{i} out_c 33", patch_layer(blob, i, "out_c", 33)
        for name in ("in_h", "in_w", "out_h", "out_w"):
            yield f"L{i} {name} 0", patch_layer(blob, i, name, 0)
            yield f"L{i} {name} 255", patch_layer(blob, i, name, 255)  # 255x255: 'huge' dims
        yield f"L{i} out_h+1", patch_layer(blob, i, "out_h", layer_field(blob, i, "out_h") % 64 + 1)
        yield f"L{i} out_w+1", patch_layer(blob, i, "out_w", layer_field(blob, i, "out_w") % 64 + 1)
        yield f"L{i} kernel 0", patch_layer(blob, i, "kernel", 0)
        yield f"L{i} kernel 6", patch_layer(blob, i, "kernel", 6)
        yield f"L{i} stride 0", patch_layer(blob, i, "stride", 0)
        yield f"L{i} stride 3", patch_layer(blob, i, "stride", 3)
        yield f"L{i} padding = kernel", patch_layer(blob, i, "padding", layer_field(blob, i, "kernel"))
        yield f"L{i} output_padding 2", patch_layer(blob, i, "output_padding", 2)
        yield f"L{i} in_h 2", patch_layer(blob, i, "in_h", 2)  # a dense layer wants 1x1
        if kind == F.KIND_FC:
            yield f"L{i} fc 32x64x64 outputs", patch_layer(patch_layer(blob, i, "out_c", 32), i, "out_h", 64)
        yield f"L{i} in_type", patch_layer(blob, i, "in_type", 1 - layer_field(blob, i, "in_type"))
        yield f"L{i} layout", patch_layer(blob, i, "w_layout", 1)
        yield f"L{i} reserved", patch_layer(blob, i, "reserved", 1)
        for sec in "wbms":
            off, size = layer_field(blob, i, f"{sec}_off"), layer_field(blob, i, f"{sec}_size")
            yield f"L{i} {sec} size+1", patch_layer(blob, i, f"{sec}_size", size + 1)
            yield f"L{i} {sec} size huge", patch_layer(blob, i, f"{sec}_size", 0xFFFFFFF0)
            yield f"L{i} {sec} misaligned", patch_layer(blob, i, f"{sec}_off", off + 1)
            yield f"L{i} {sec} wraps", patch_layer(blob, i, f"{sec}_off", 0xFFFFFFF0)
            yield f"L{i} {sec} past end", patch_layer(blob, i, f"{sec}_off", len(blob) - (size & ~3) + 4)
            yield f"L{i} {sec} in header", patch_layer(blob, i, f"{sec}_off", 0)
        w_off = layer_field(blob, i, "w_off")
        yield f"L{i} weight -128", patch_at(blob, w_off + layer_field(blob, i, "w_size") - 1, "b", -128)
        b_off = layer_field(blob, i, "b_off")
        yield f"L{i} bias over", patch_at(blob, b_off, "i", F.MAX_BIAS + 1)
        yield f"L{i} bias under", patch_at(blob, b_off, "i", -F.MAX_BIAS - 1)
        yield f"L{i} bias int32 min", patch_at(blob, b_off, "i", -(2**31))
        m_off = layer_field(blob, i, "m_off")
        yield f"L{i} mult 0", patch_at(blob, m_off, "H", 0)
        yield f"L{i} mult below min", patch_at(blob, m_off, "H", F.MULT_MIN - 1)
        yield f"L{i} shift over", patch_at(blob, layer_field(blob, i, "s_off"), "B", F.MAX_SHIFT + 1)
    if n_layers > 1:
        yield "chain: layer 1 in_c", patch_layer(blob, 1, "in_c", layer_field(blob, 1, "in_c") % 32 + 1)


def truncations(blob: bytes) -> Iterator[tuple[str, bytes]]:
    for n in range(len(blob)):
        yield f"truncated to {n}", blob[:n]


def bit_flips(blob: bytes, resign: bool) -> Iterator[tuple[str, bytes]]:
    """Every single-bit flip; resign=True recomputes the CRC so the flip meets the
    structural checks (flips of the crc field itself are then undone, so skipped)."""
    crc_bytes = range(F.CRC_OFFSET, F.CRC_OFFSET + 4)
    for i in range(len(blob)):
        if resign and i in crc_bytes:
            continue
        for bit in range(8):
            bad = bytearray(blob)
            bad[i] ^= 1 << bit
            yield f"byte {i} bit {bit}", with_crc(bad) if resign else bytes(bad)


def c_compilers() -> list[str]:
    return [cc for cc in ("clang", "gcc") if shutil.which(cc)]


def random_pairs(rng: np.random.Generator, n: int, n_faces: int = F.N_FACES) -> tuple[np.ndarray, np.ndarray]:
    return rng.integers(1, n_faces + 1, n), rng.integers(-F.ANGLE_CODE_MAX, F.ANGLE_CODE_MAX + 1, n)
