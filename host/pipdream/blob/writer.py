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


def pack(model: QModel) -> bytes:
    """Serialise a QModel to blob format v1 (CRC filled in)."""
    n = len(model.layers)
    table_end = F.HEADER_SIZE + n * F.LAYER_SIZE
    payload = bytearray()
    entries = []
    for layer in model.layers:
        offsets = []
        for sec in _sections(layer):
            pad = _align(table_end + len(payload)) - (table_end + len(payload))
            payload += bytes(pad)
            offsets.append((table_end + len(payload), len(sec)))
            payload += sec
        ci, hi, wi = layer.in_shape
        co, ho, wo = layer.out_shape
        (w_off, w_size), (b_off, b_size), (m_off, m_size), (s_off, s_size) = offsets
        entries.append(
            _pack_fields(
                F.LAYER_FORMAT,
                F.LAYER_FIELDS,
                dict(
                    kind=layer.kind,  # L1
                    act=layer.act,  # L2
                    in_c=ci,  # L3
                    out_c=co,  # L4
                    in_h=hi,  # L5
                    in_w=wi,  # L6
                    out_h=ho,  # L7
                    out_w=wo,  # L8
                    kernel=layer.kernel,  # L9
                    stride=layer.stride,  # L10
                    padding=layer.padding,  # L11
                    output_padding=layer.output_padding,  # L12
                    in_type=layer.in_type,  # L13
                    w_layout=F.LAYOUT_OHWI,  # L14
                    reserved=0,  # L15
                    w_off=w_off,  # L16
                    w_size=w_size,  # L17
                    b_off=b_off,  # L18
                    b_size=b_size,  # L19
                    m_off=m_off,  # L20
                    m_size=m_size,  # L21
                    s_off=s_off,  # L22
                    s_size=s_size,  # L23
                ),
            )
        )
    total = _align(table_end + len(payload))
    payload += bytes(total - table_end - len(payload))
    oc, oh, ow = model.out_shape
    header = _pack_fields(
        F.HEADER_FORMAT,
        F.HEADER_FIELDS,
        dict(
            magic=F.MAGIC,  # H1
            version=F.VERSION,  # H2
            header_size=F.HEADER_SIZE,  # H3
            total_size=total,  # H4
            crc32=0,  # H5, filled in below
            n_faces=model.n_faces,  # H6
            latent_size=model.latent_size,  # H7
            out_h=oh,  # H8
            out_w=ow,  # H9
            out_c=oc,  # H10
            n_layers=n,  # H11
            layer_size=F.LAYER_SIZE,  # H12
            flags=model.flags,  # H13
            reserved=0,  # H14
        ),
    )
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
