"""Blob writer. Field numbers (H1.., L1..) match format.py and reader.py."""

from __future__ import annotations

import struct

import numpy as np

from pipdream.blob import device
from pipdream.blob import format as F
from pipdream.blob.model import QLayer, QModel

pdblob = device.module("pdblob")


def _pack_fields(fmt: str, fields: tuple, values: dict) -> bytes:
    """One record: its struct format (F.HEADER_FORMAT, F.LAYER_FORMAT), fields and values."""
    return struct.pack(fmt, *(values[name] for name, _, _ in fields))


def _align(n: int) -> int:
    return (n + F.ALIGN - 1) // F.ALIGN * F.ALIGN


def _sections(layer: QLayer) -> list[bytes]:
    """The four payload sections of a layer, in order: weights, bias, mult, shift."""
    arrays = (layer.weights, layer.bias, layer.mult, layer.shift)
    return [np.ascontiguousarray(a, dtype="<" + code).tobytes() for a, (_, code) in zip(arrays, F.SECTIONS)]


def _chw(prefix: str, shape: tuple[int, int, int]) -> dict:
    """A (C, H, W) shape as its record fields <prefix>_c, <prefix>_h, <prefix>_w."""
    return dict(zip((prefix + "_c", prefix + "_h", prefix + "_w"), shape))


def pack(model: QModel) -> bytes:
    """Serialise a QModel to blob format v1 (CRC filled in)."""
    n = len(model.layers)
    table_end = F.HEADER_SIZE + n * F.LAYER_SIZE
    payload = bytearray()
    entries = []
    for layer in model.layers:
        sections = {}  # L16-L23: <prefix>_off and <prefix>_size of each payload section
        for sec, (prefix, _) in zip(_sections(layer), F.SECTIONS):
            pad = _align(table_end + len(payload)) - (table_end + len(payload))
            payload += bytes(pad)
            sections[prefix + "_off"] = table_end + len(payload)
            sections[prefix + "_size"] = len(sec)
            payload += sec
        entries.append(_pack_fields(F.LAYER_FORMAT, F.LAYER_FIELDS, dict(
            kind=layer.kind, act=layer.act,  # L1, L2
            **_chw("in", layer.in_shape), **_chw("out", layer.out_shape),  # L3-L8
            kernel=layer.kernel, stride=layer.stride, padding=layer.padding,  # L9-L11
            output_padding=layer.output_padding, in_type=layer.in_type,  # L12, L13
            w_layout=F.LAYOUT_OHWI, reserved=0,  # L14, L15
            **sections,
        )))
    total = _align(table_end + len(payload))
    payload += bytes(total - table_end - len(payload))
    header = _pack_fields(F.HEADER_FORMAT, F.HEADER_FIELDS, dict(
        magic=F.MAGIC, version=F.VERSION, header_size=F.HEADER_SIZE,  # H1-H3
        total_size=total, crc32=0,  # H4, H5 (filled in below)
        n_faces=model.n_faces, latent_size=model.latent_size,  # H6, H7
        **_chw("out", model.out_shape),  # H8-H10
        n_layers=n, layer_size=F.LAYER_SIZE, flags=model.flags, reserved=0,  # H11-H14
    ))
    blob = bytearray(header + b"".join(entries) + payload)
    return with_crc(blob)


def blob_crc(blob: bytes | bytearray) -> int:
    """CRC32 over the whole blob except the crc field: the parser's own (pdblob.blob_crc)."""
    return int(pdblob.blob_crc(blob))


def with_crc(blob: bytes | bytearray) -> bytes:
    """The blob with its crc field recomputed (tests use it to craft headers)."""
    out = bytearray(blob)
    out[F.CRC_OFFSET:F.CRC_OFFSET + F.CRC_WIDTH] = blob_crc(out).to_bytes(F.CRC_WIDTH, "little")
    return bytes(out)
