"""pipdream evaluate: score a decoder checkpoint or an int8 blob."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from pipdream import evaluate, paths
from pipdream.cli import SEED, IntRange

NAME = "evaluate"
HELP = "score a model: params, MACs, MSE, eval-CNN accuracy and counted-pip legibility (8-bit and 1-bit)"
ORDER = 13
EXAMPLES = """examples:
  pipdream evaluate --json                      # the shipped models/decoder.pt
  pipdream evaluate --checkpoint run.pt --n 1000 --seed 3
  pipdream evaluate --blob models/default.blob --json
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    src = p.add_mutually_exclusive_group()
    src.add_argument("--checkpoint", type=Path, help=f"float checkpoint (default {paths.DECODER_PT.name})")
    src.add_argument("--blob", type=Path, help="int8 blob, run by the integer reference")
    p.add_argument("--n", type=IntRange(1, 100_000), default=6000,
                   help="number of random dice, %(type)s (default 6000)")
    p.add_argument("--seed", type=SEED, default=0, help="random seed, %(type)s")
    p.add_argument("--eval-weights", type=Path, default=paths.EVAL_PT,
                   help="evaluation CNN weights (default models/eval.pt; pipdream train-eval writes them)")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    kind, path = ("blob", args.blob) if args.blob else ("checkpoint", args.checkpoint or paths.DECODER_PT)
    from pipdream import evalnet_numpy  # the eval CNN, without torch

    evalnet_numpy.load(args.eval_weights)  # the judge is recognised before the model is run
    result = evaluate.evaluate(kind, path, args.n, args.seed, args.eval_weights)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>20}: {value}")
    return 0
