"""pipdream train-eval: train the pip-counting evaluation CNN."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from pipdream import evalnet, files
from pipdream import style as styles
from pipdream.cli import SEED, THREADS, IntRange
from pipdream.train import write_metrics

NAME = "train-eval"
HELP = "train the evaluation CNN that counts pips (the quality judge)"
ORDER = 11
EXAMPLES = """examples:
  pipdream train-eval --out runs/eval.pt                  # and runs/eval_metrics.json
  pipdream train-eval --style mine.toml --out runs/mine_eval.pt
  pipdream train-eval --out models/eval.pt                # replaces the shipped judge: by name only

`pipdream retrain` trains the judge of a style into its own folder.

The output paths are checked before training (missing folders are created); the
weights are written under a temporary name and renamed when complete.
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, required=True,
                   help="weights file to write (.pt); the shipped judge is models/eval.pt")
    p.add_argument("--style", type=Path, help="die style file (.toml; default: the shipped die)")
    p.add_argument("--metrics", type=Path, help="metrics JSON (default: <out stem>_metrics.json)")
    p.add_argument("--n-train", type=IntRange(1, 500_000), default=30000,
                   help="clean renders to augment from, %(type)s (default 30000)")
    p.add_argument("--epochs", type=IntRange(1, 1000), default=8, help="%(type)s (default 8)")
    p.add_argument("--n-test", type=IntRange(1, 100_000), default=6000,
                   help="held-out dice per test set, %(type)s (default 6000)")
    p.add_argument("--seed", type=SEED, default=1, help="random seed, %(type)s")
    p.add_argument("--threads", type=THREADS, default=2, help="torch threads, %(type)s (default 2)")


def run(args: argparse.Namespace) -> int:
    if min(args.n_train, args.epochs, args.n_test, args.threads) < 1:
        raise ValueError("--n-train, --epochs, --n-test and --threads must be positive")
    style = styles.load(args.style) if args.style else None
    files.output_file(args.out, "--out", (".pt",))
    metrics_path = args.metrics or args.out.with_name(f"{args.out.stem}_metrics.json")
    files.output_file(metrics_path, "--metrics", (".json",))
    model, metrics = evalnet.train_evalnet(
        args.n_train, args.epochs, args.n_test, args.seed, args.threads, style=style
    )
    evalnet.save(args.out, model, metrics)  # temporary name, then renamed
    write_metrics(metrics_path, metrics)
    print(json.dumps(metrics, indent=2))
    print(f"wrote {args.out} and {metrics_path}")
    return 0
