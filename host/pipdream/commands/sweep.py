"""pipdream sweep: train a grid of decoder sizes and plot loss and accuracy vs params."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from pipdream import files, sweep
from pipdream.cli import SEED

NAME = "sweep"
HELP = "train a grid of decoder sizes; CSV plus loss-vs-params and accuracy-vs-params plots"
ORDER = 15
EXAMPLES = """examples:
  pipdream sweep --quick                        # a few minutes on 2 cores
  pipdream sweep --out bench/results/sweep      # the longer grid

Writes sweep.csv, sweep_loss.png (log-log, fitted slope) and sweep_accuracy.png.
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--quick", action="store_true", help="short training per config")
    p.add_argument("--out", type=Path,
                   help="output folder, created if missing (default bench/results/sweep[-quick])")
    p.add_argument("--seed", type=SEED, default=0, help="random seed, %(type)s")


def run(args: argparse.Namespace) -> int:
    out = files.output_dir(args.out or Path("bench/results") / ("sweep-quick" if args.quick else "sweep"))
    rows, summary = sweep.sweep(out, args.quick, args.seed)
    print(json.dumps(summary))
    print(f"wrote {out}/sweep.csv, sweep_loss.png, sweep_accuracy.png")
    return 0
