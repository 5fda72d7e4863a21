"""pipdream retrain: a die style file -> a blob, every stage's files under one folder."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from pipdream import files, paths
from pipdream.cli import SEED, THREADS

NAME = "retrain"
HELP = "retrain the die for your own style file: dataset, judge, float, QAT, legibility, blob, scores"
ORDER = 9
EXAMPLES = """examples:
  pipdream retrain --style mine.toml --out runs/mine --quick   # about 10 minutes on 2 cores
  pipdream retrain --style mine.toml --out runs/mine            # the shipped model's schedule
  pipdream deploy --board pico --model runs/mine/model.blob     # then put it on a board

Writes under --out: style.toml, preview.png, style_check.json, eval.pt (this style's eval
CNN: models/eval.pt is never touched), decoder.pt (float), decoder_q.pt (QAT),
decoder_l_q.pt (the legibility stage), model.blob and model_metrics.json, each stage's
metrics beside its checkpoint, and retrain.json, the finished stages: after a Ctrl-C the
same command goes on from the last finished stage. Every comparison is with your own
float model. A style file is TOML (host/pipdream/styles/shipped.toml is the shipped die);
`pipdream dataset --style F --preview P` shows it.
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--style", type=Path, help="style file (.toml; default: the shipped die)")
    p.add_argument("--out", type=Path, required=True, help="folder for every stage's files (new or a run "
                                                           "of the same settings, to resume)")
    p.add_argument("--quick", action="store_true",
                   help="short schedule: about 10 minutes on 2 cores, >= 99%% legible for the styles tried")
    p.add_argument("--seed", type=SEED, default=0, help="random seed, %(type)s")
    p.add_argument("--threads", type=THREADS, default=min(2, os.cpu_count() or 1),
                   help="torch threads, %(type)s (default: 2, or 1 on one core)")


def run(args: argparse.Namespace) -> int:
    from pipdream import retrain

    style = retrain.load_style(args.style)
    files.output_dir(args.out, "--out")
    shipped = paths.MODELS.resolve()
    if shipped in (args.out.resolve(), *args.out.resolve().parents):
        raise ValueError(f"--out {args.out} is in models/ (shipped): retrain into a folder of yours")
    plan = retrain.QUICK if args.quick else retrain.FULL
    try:
        metrics = retrain.retrain(args.out, style, plan, args.seed, args.threads)
    except KeyboardInterrupt:
        print(f"\ninterrupted: {paths.shown(args.out)} keeps every finished stage; run the same command "
              "again to go on from there", file=sys.stderr)
        return 130
    print(retrain.table(metrics))
    print(f"wrote {paths.shown(args.out / 'model.blob')} and {paths.shown(args.out / 'model_metrics.json')}")
    if not metrics["boards"]["fits_uno_flash"]:
        print("the blob does not fit the Uno's flash with the app (the Pico and ESP32 boards take it)")
    return 0
