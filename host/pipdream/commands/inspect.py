"""pipdream inspect: what is in a blob, and what running it costs."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from pipdream import plan
from pipdream.blob import format as F
from pipdream.blob import load, read_file
from pipdream.blob.writer import blob_crc

NAME = "inspect"
HELP = "show a blob's header, layers, totals and the scratch memory each plan needs"
ORDER = 22
EXAMPLES = """examples:
  pipdream inspect models/default.blob
  pipdream inspect models/default.blob --json
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("blob", type=Path, help="blob file")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def describe(data: bytes) -> dict:
    """The inspect report as a dict (raises BlobError on a bad blob)."""
    model = load(data)
    layers = []
    for i, q in enumerate(model.layers):
        layers.append({
            "index": i, "kind": F.KIND_NAMES[q.kind], "in": list(q.in_shape), "out": list(q.out_shape),
            "kernel": q.kernel, "stride": q.stride, "padding": q.padding,
            "output_padding": q.output_padding, "params": q.params, "macs": q.macs,
            "bytes": q.n_weights + 7 * q.n_ch,  # int8 weights + int32 bias, uint16 mult, uint8 shift
        })
    report = {
        "version": F.VERSION, "size": len(data), "crc32": f"0x{blob_crc(data):08x}", "crc_ok": True,
        "n_faces": model.n_faces, "mirror_fold": bool(model.flags & F.FLAG_MIRROR_FOLD),
        "out": list(model.out_shape), "layers": layers,
        "params": model.params, "macs": model.macs, "plans": {},
    }
    for name, kind in plan.KINDS.items():
        info = plan.plan(model, kind)
        report["plans"][name] = {"scratch_bytes": info.scratch_bytes, "strips": info.strips,
                                 # None: more than the 32-bit count the boards keep can say
                                 "macs": info.macs if info.macs < plan.U32_MAX else None}
    return report


def run(args: argparse.Namespace) -> int:
    r = describe(read_file(args.blob))
    if args.json:
        print(json.dumps(r, indent=2))
        return 0
    print(f"{args.blob}: blob format v{r['version']}, {r['size']} bytes, crc32 {r['crc32']} (ok), "
          f"{r['n_faces']} faces, output {r['out'][1]}x{r['out'][2]}x{r['out'][0]}"
          + (", mirror fold (docs/arithmetic.md)" if r["mirror_fold"] else ""))
    print(f"{'#':>2} {'kind':5} {'in (CxHxW)':>11} {'out (CxHxW)':>12} {'k/s/p/op':>9} "
          f"{'params':>7} {'MACs':>8} {'bytes':>6}")
    for la in r["layers"]:
        shape = lambda s: "x".join(map(str, s))  # noqa: E731
        geo = f"{la['kernel']}/{la['stride']}/{la['padding']}/{la['output_padding']}"
        print(f"{la['index']:>2} {la['kind']:5} {shape(la['in']):>11} {shape(la['out']):>12} "
              f"{geo:>9} {la['params']:>7} {la['macs']:>8} {la['bytes']:>6}")
    print(f"total: {r['params']} params, {r['macs']} MACs per image")
    for kind, p in r["plans"].items():
        if p["macs"] is None:  # the C count stopped at U32_MAX: the real one is larger
            macs = f"over {plan.U32_MAX - 1:,} MACs (the 32-bit count saturated)"
        else:
            macs = f"{p['macs']} MACs ({p['macs'] / r['macs'] - 1:+.1%} vs the layer total)"
        print(f"plan {kind:6s}: {p['scratch_bytes']:6d} bytes of scratch, {macs}, {p['strips']} strip(s)")
    return 0
