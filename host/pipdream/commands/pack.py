"""pipdream pack: a quantized checkpoint -> blob format v1."""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

from pipdream import files, paths
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
    out = metrics_path(args.out)
    if args.evaluate > 0:  # everything --evaluate reads or writes, checked before any work
        files.output_file(out, "the metrics file")
        from pipdream import evalnet, train

        train.load_decoder(args.float_checkpoint)  # its config and weights agree
        evalnet.load(paths.EVAL_PT)
    from pipdream import evaluate, limits, quantize  # torch: imported only when needed

    qat = quantize.load_qat(args.checkpoint)
    limits.check_blob_holds(qat.model.cfg, str(args.checkpoint))
    blob = pack(quantize.to_qmodel(qat))
    load(blob)  # the writer's output must pass the reader's checks
    if args.evaluate == 0:
        files.write_bytes(args.out, blob)  # never leave a half-written blob behind
        print(f"wrote {args.out} ({len(blob)} bytes)")
        return 0
    # The blob is scored under its temporary name; it and its metrics are renamed together, so
    # an interrupted run leaves both old or both new (and the metrics name the blob's SHA-256).
    with files.atomic_set(args.out, out) as (tmp_blob, tmp_metrics):
        tmp_blob.write_bytes(blob)
        q = evaluate.evaluate("blob", tmp_blob, args.evaluate)
        f = evaluate.evaluate("checkpoint", args.float_checkpoint, args.evaluate)
        float_keys = [k for k in f if k.startswith(("accuracy", "legible"))]  # the judges' figures
        metrics = {**q, "path": str(args.out), "float_mse": f["mse"],
                   **{f"float_{k}": f[k] for k in float_keys}, "blob_bytes": len(blob),
                   "blob_sha256": hashlib.sha256(blob).hexdigest(), "mse_vs_float": q["mse"] / f["mse"]}
        tmp_metrics.write_text(json.dumps(metrics, indent=2) + "\n")
    print(f"wrote {args.out} ({len(blob)} bytes)")
    print(json.dumps(metrics))
    print(f"wrote {out}")
    return 0


def metrics_path(blob: Path) -> Path:
    """<blob stem>_metrics.json beside the blob."""
    return blob.with_name(blob.stem + "_metrics.json")


def read_metrics(blob: str | Path) -> dict:
    """The metrics `pack --evaluate` wrote for this blob; ValueError when they are missing or
    describe another blob (their blob_sha256 is not the file's)."""
    blob = Path(blob)
    path = metrics_path(blob)
    files.input_file(path, "metrics file", f" (pipdream pack --out {blob} --evaluate N writes it)")
    metrics = json.loads(path.read_text())
    sha = hashlib.sha256(blob.read_bytes()).hexdigest()
    if metrics.get("blob_sha256") != sha:
        raise ValueError(f"{path} describes another blob (sha256 {metrics.get('blob_sha256')}), not {blob} "
                         f"(sha256 {sha}): rerun pipdream pack --evaluate")
    return metrics
