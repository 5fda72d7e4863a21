"""pipdream train-eval: train the pip-counting evaluation CNN."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from pipdream import evalnet, paths
from pipdream.train import write_metrics

NAME = "train-eval"
HELP = "train the evaluation CNN that counts pips (the quality judge)"
ORDER = 11
EXAMPLES = """examples:
  pipdream train-eval                           # writes models/eval.pt and models/eval_metrics.json
  pipdream train-eval --epochs 2 --n-train 3000 --out /tmp/eval.pt
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, default=paths.EVAL_PT, help="weights file to write")
    p.add_argument("--metrics", type=Path, help="metrics JSON (default: <out stem>_metrics.json)")
    p.add_argument("--n-train", type=int, default=30000, help="clean renders to augment from")
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--n-test", type=int, default=6000, help="held-out dice per test set")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=2, help="torch threads (the box has 2 cores)")


def run(args: argparse.Namespace) -> int:
    if min(args.n_train, args.epochs, args.n_test, args.threads) < 1:
        raise ValueError("--n-train, --epochs, --n-test and --threads must be positive")
    model, metrics = evalnet.train_evalnet(
        args.n_train, args.epochs, args.n_test, args.seed, args.threads
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    evalnet.save(args.out, model, metrics)
    metrics_path = args.metrics or args.out.with_name(f"{args.out.stem}_metrics.json")
    write_metrics(metrics_path, metrics)
    print(json.dumps(metrics, indent=2))
    print(f"wrote {args.out} and {metrics_path}")
    return 0
