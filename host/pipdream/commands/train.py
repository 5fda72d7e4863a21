"""pipdream train: train the conditional decoder and write checkpoint, metrics, plots."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from pipdream import evalnet, evaluate, files, limits, paths, train, train_plots
from pipdream.cli import SEED, THREADS, FloatRange, IntRange, number
from pipdream.decoder import DecoderConfig

NAME = "train"
HELP = "train the conditional decoder (one-hot face + angle -> 32x32 die)"
ORDER = 12
EXAMPLES = """examples:
  pipdream train                                # default 8,8,8,8 + 2 hires -> models/decoder.pt
  pipdream train --dims 4,4,4,4 --hires 0 --steps 3000 --out /tmp/small.pt
  pipdream train --steps 200 --out /tmp/try.pt --plots /tmp/try --eval-n 0
  pipdream train --init models/decoder.pt --legibility-weight 10 --steps 3000 --lr 3e-3 --out /tmp/l.pt

Writes the checkpoint, <out stem>_metrics.json beside it, and the plots
<plots>_loss.png, <plots>_samples.png, <plots>_scan.png. Every output path is
checked before training starts (missing folders are created); the checkpoint is
written under a temporary name and renamed, so an interrupted run leaves no half file.
"""


FACE_WEIGHT = FloatRange(0, 1e6)  # one face's sampling weight


def parse_dims(text: str) -> tuple[int, int, int, int]:
    try:
        dims = tuple(int(number(v)) for v in text.split(","))
    except ValueError:
        raise ValueError(f"--dims must be four integers like 8,8,8,8, got {text!r}") from None
    if len(dims) != 4 or min(dims) < 1:
        raise ValueError(f"--dims must be four positive integers d1,d2,d3,d4, got {text!r}")
    return dims  # type: ignore[return-value]


def parse_face_weights(text: str) -> tuple[float, ...]:
    try:
        w = tuple(float(number(v, float)) for v in text.split(","))  # finite: no nan, inf or 1e309
    except ValueError:
        raise argparse.ArgumentTypeError(f"six numbers like 1,1,1,1,1,3, got {text!r}") from None
    if len(w) != 6 or min(w) < 0 or max(w) <= 0:
        raise argparse.ArgumentTypeError(f"six weights >= 0, not all 0, got {text!r}")
    if max(w) > FACE_WEIGHT.hi:  # their sum must stay finite
        raise argparse.ArgumentTypeError(f"six weights, each {FACE_WEIGHT}, got {text!r}")
    return w


def add_loss_arguments(p: argparse.ArgumentParser) -> None:
    """The options of train.image_loss and of the face sampling: train's, and quantize's for its QAT."""
    d = train.TrainConfig()
    p.add_argument("--legibility-weight", type=FloatRange(0, 1e4), default=d.legibility_weight,
                   help="weight of the 1-bit margin term (train.image_loss), %(type)s (default 0: MSE only)")
    p.add_argument("--margin", type=FloatRange(0, 0.5), default=d.margin,
                   help=f"how far past the threshold a pixel must sit, %(type)s (default {d.margin})")
    p.add_argument("--separator-weight", type=FloatRange(0, 1e6), default=d.separator_weight,
                   help="weight of the separator term (train.image_loss): the gap pixels between "
                        "pips kept bright by the full --margin, %(type)s (default 0: none)")
    p.add_argument("--face-weights", type=parse_face_weights, default=d.face_weights,
                   help="sampling weights of faces 1..6, like 1,1,1,1,1,3 (default: uniform)")


def add_arguments(p: argparse.ArgumentParser) -> None:
    d = train.TrainConfig()
    p.add_argument("--dims", default="8,8,8,8", help="channels d1,d2,d3,d4 (default 8,8,8,8)")
    p.add_argument("--hires", type=IntRange(0, 8), default=2,
                   help="3x3 conv layers at 32x32, %(type)s (default 2)")
    p.add_argument("--steps", type=IntRange(1, 10_000_000), default=d.steps,
                   help=f"Adam steps, %(type)s (default {d.steps})")
    p.add_argument("--batch", type=IntRange(1, 65536), default=d.batch,
                   help=f"batch size, %(type)s (default {d.batch})")
    p.add_argument("--lr", type=FloatRange(1e-7, 10), default=d.lr,
                   help=f"peak learning rate, %(type)s (default {d.lr})")
    p.add_argument("--n-train", type=IntRange(1, 500_000), default=d.n_train,
                   help=f"cached renders to sample from, %(type)s (default {d.n_train})")
    p.add_argument("--seed", type=SEED, default=d.seed, help="random seed, %(type)s")
    p.add_argument("--threads", type=THREADS, default=d.threads, help="torch threads, %(type)s (default 2)")
    add_loss_arguments(p)
    p.add_argument("--no-fold", dest="fold", action="store_false",
                   help="train every face over the whole angle range; by default each face learns "
                        "only the angles a mirror cannot reach, its blob says so and every board "
                        "draws the rest mirrored (docs/arithmetic.md, \"The mirror fold\")")
    p.add_argument("--init", type=Path,
                   help="start from this float checkpoint, or the float weights of a quantized one "
                        "(same --dims/--hires), instead of random weights")
    p.add_argument("--out", type=Path, default=paths.DECODER_PT,
                   help="checkpoint to write (.pt; missing folders are created)")
    p.add_argument("--plots", type=Path, help="plot file prefix (default: <out> without .pt)")
    p.add_argument("--eval-n", type=IntRange(0, 100_000), default=6000,
                   help="dice for the final evaluate figures in the metrics, %(type)s (0 skips)")


def run(args: argparse.Namespace) -> int:
    d1, d2, d3, d4 = parse_dims(args.dims)
    if args.hires < 0:
        raise ValueError("--hires must be 0 or more")
    if min(args.steps, args.batch, args.n_train, args.threads) < 1 or args.lr <= 0:
        raise ValueError("--steps, --batch, --n-train, --threads and --lr must be positive")
    cfg = DecoderConfig(d1, d2, d3, d4, args.hires, fold=args.fold)
    limits.check_blob_holds(cfg, f"--dims {args.dims} --hires {args.hires}")  # not pack, after it
    # Every output and input checked before the training, not after it.
    files.output_file(args.out, "--out", (".pt",))
    metrics_path = args.out.with_name(f"{args.out.stem}_metrics.json")
    files.output_file(metrics_path, "the metrics file")
    prefix = args.plots or args.out.with_suffix("")
    files.output_file(prefix.with_name(prefix.name + "_loss.png"), "--plots")
    if args.init:
        train.load_start(args.init)  # a float or quantized decoder checkpoint, before the training
    if args.eval_n > 0:
        evalnet.load(paths.EVAL_PT)  # the judge of the final figures
    tc = train.TrainConfig(steps=args.steps, batch=args.batch, lr=args.lr,
                           n_train=args.n_train, seed=args.seed, threads=args.threads,
                           legibility_weight=args.legibility_weight, margin=args.margin,
                           init=str(args.init or ""), face_weights=args.face_weights,
                           separator_weight=args.separator_weight)
    model, metrics = train.train(cfg, tc)
    train.save_checkpoint(args.out, model, metrics)  # temporary name, then renamed
    if args.eval_n > 0:
        scores = evaluate.evaluate("checkpoint", args.out, args.eval_n, seed=0)
        metrics["evaluate"] = {k: scores[k] for k in ("n", "seed", "mse", "accuracy",
                                                       "accuracy_1bit", "legible", "legible_1bit")}
        train.save_checkpoint(args.out, model, metrics)
    history = metrics.pop("loss_history")
    train.write_metrics(metrics_path, metrics)
    plots = train_plots.write_all(prefix, model, history)
    print(json.dumps(metrics, indent=2))
    print("wrote " + ", ".join(str(p) for p in [args.out, metrics_path, *plots]))
    return 0
