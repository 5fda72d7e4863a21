"""pipdream pack: a quantized checkpoint -> blob format v1."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from pipdream import checkpoint, files, paths
from pipdream.blob import load, pack
from pipdream.cli import IntRange

NAME = "pack"
HELP = "pack a quantized checkpoint into a versioned binary model blob"
ORDER = 21
EXAMPLES = """examples:
  pipdream pack --out models/default.blob
  pipdream pack --checkpoint /tmp/q.pt --out /tmp/model.blob
  pipdream pack --out models/default.blob --evaluate 6000   # also writes default_metrics.json

The blob is written under a temporary name and renamed (missing folders are created).
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--checkpoint", type=Path, default=paths.MODELS / "decoder_q.pt",
                   help="checkpoint written by `pipdream quantize` (default: models/decoder_q.pt)")
    p.add_argument("--out", type=Path, required=True, help="blob file to write")
    p.add_argument("--evaluate", type=IntRange(0, 100_000), metavar="N", default=0,
                   help="score the blob and the float model on N random dice, %(type)s, and write "
                        "<blob>_metrics.json next to the blob (default 0: no scores)")
    p.add_argument("--float-checkpoint", type=Path, default=paths.DECODER_PT,
                   help="float model to compare with (default: models/decoder.pt)")


def run(args: argparse.Namespace) -> int:
    files.output_file(args.out, "--out")
    out = args.out.with_name(args.out.stem + "_metrics.json")
    if args.evaluate > 0:  # everything --evaluate reads or writes, checked before any work
        files.output_file(out, "the metrics file")
        from pipdream import evalnet, train

        checkpoint.check(args.float_checkpoint, train.CHECKPOINT_FORMAT, train.CHECKPOINT_VERSION)
        evalnet.load(paths.EVAL_PT)
    from pipdream import evaluate, quantize  # torch: imported only when needed

    blob = pack(quantize.to_qmodel(quantize.load_qat(args.checkpoint)))
    load(blob)  # the writer's output must pass the reader's checks
    files.write_bytes(args.out, blob)  # never leave a half-written blob behind
    print(f"wrote {args.out} ({len(blob)} bytes)")
    if args.evaluate > 0:
        q = evaluate.evaluate("blob", args.out, args.evaluate)
        f = evaluate.evaluate("checkpoint", args.float_checkpoint, args.evaluate)
        float_keys = [k for k in f if k.startswith(("accuracy", "legible"))]  # the judges' figures
        metrics = {**q, "float_mse": f["mse"], **{f"float_{k}": f[k] for k in float_keys},
                   "blob_bytes": len(blob), "mse_vs_float": q["mse"] / f["mse"]}
        files.write_text(out, json.dumps(metrics, indent=2) + "\n")
        print(json.dumps(metrics))
        print(f"wrote {out}")
    return 0
