"""pipdream dataset: render random dice to an .npz (and optionally a preview grid)."""

from __future__ import annotations

import argparse
from pathlib import Path

from pipdream import dataset, files, grid, legibility
from pipdream import style as styles
from pipdream.cli import SEED, IntRange

NAME = "dataset"
HELP = "render N random dice (32x32, faces 1-6, angles in [-90, 90)) to an .npz"
ORDER = 10
EXAMPLES = """examples:
  pipdream dataset --n 10000 --seed 0 --out dice.npz
  pipdream dataset --n 48 --seed 1 --out /tmp/few.npz --preview /tmp/few.png
  pipdream dataset --style mine.toml --preview mine.png     # how your style looks, and is judged

A style file is TOML (host/pipdream/styles/shipped.toml is the shipped die); with
--preview the judge's reading of the renders and whether the mirror fold holds are printed.

The .npz holds images (N, 32, 32) uint8, faces (N,) 1..6 and angles (N,) degrees.
Missing folders of --out and --preview are created.
"""

PREVIEW_MAX = 64  # tiles in the preview grid


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--n", type=IntRange(1, 500_000), default=PREVIEW_MAX, help="number of dice, %(type)s "
                   f"(default {PREVIEW_MAX})")
    p.add_argument("--style", type=Path, help="die style file (.toml; default: the shipped die)")
    p.add_argument("--seed", type=SEED, default=0, help="random seed, %(type)s (same seed, same file)")
    p.add_argument("--out", type=Path, help="output .npz (missing folders are created)")
    p.add_argument("--preview", type=Path, help=f"labelled PNG grid of the first {PREVIEW_MAX}")


def run(args: argparse.Namespace) -> int:
    if not args.out and not args.preview:
        raise ValueError("give --out, --preview or both")
    style = styles.load(args.style) if args.style else None
    if args.out:
        files.output_file(args.out, "--out", (".npz",))
    if args.preview:
        files.output_file(args.preview, "--preview", (".png",))
    data = dataset.make_dataset(args.n, args.seed, style)
    if args.out:
        with files.atomic(args.out) as tmp:
            dataset.save_dataset(tmp, data)
        print(f"wrote {args.out}: {args.n} dice")
    if args.preview:
        k = min(args.n, PREVIEW_MAX)
        labels = grid.face_angle_labels(data["faces"][:k], data["angles"][:k])
        with files.atomic(args.preview) as tmp:
            grid.save_grid(tmp, data["images"][:k], labels)
        print(f"wrote {args.preview}")
        judged = legibility.judge(data["images"], data["faces"], style)
        fold = dataset.fold_check(style)
        print(f"the judge reads {judged['legible']:.1%} of these {args.n} dice as legible "
              f"(1-bit {judged['legible_1bit']:.1%}); `pipdream retrain` needs 100% of 6,000")
        print(f"the mirror fold {'holds' if fold.holds else 'does NOT hold: retrain trains unfolded'} "
              f"({fold.dice} of 1,530 dice differ from their mirror, by up to {fold.worst} of 255)")
    return 0
