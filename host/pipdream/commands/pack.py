"""pipdream pack: a quantized checkpoint -> blob format v1."""

from __future__ import annotations

import argparse
from pathlib import Path

from pipdream import quantize
from pipdream.blob import load, pack

NAME = "pack"
HELP = "pack a quantized checkpoint into a versioned binary model blob"
ORDER = 21
EXAMPLES = """examples:
  pipdream pack --out models/default.blob
  pipdream pack --checkpoint /tmp/q.pt --out /tmp/model.blob
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--checkpoint", type=Path, default=Path("models/decoder_q.pt"),
                   help="checkpoint written by `pipdream quantize` (default: models/decoder_q.pt)")
    p.add_argument("--out", type=Path, required=True, help="blob file to write")


def run(args: argparse.Namespace) -> int:
    if not args.checkpoint.exists():
        raise ValueError(f"checkpoint not found: {args.checkpoint}")
    blob = pack(quantize.to_qmodel(quantize.load_qat(args.checkpoint)))
    load(blob)  # the writer's output must pass the reader's checks
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(args.out.name + ".tmp")
    tmp.write_bytes(blob)
    tmp.replace(args.out)  # never leave a half-written blob behind
    print(f"wrote {args.out} ({len(blob)} bytes)")
    return 0
