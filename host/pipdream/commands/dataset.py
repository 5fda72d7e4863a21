"""pipdream dataset: render random dice to an .npz (and optionally a preview grid)."""

from __future__ import annotations

import argparse
from pathlib import Path

from pipdream import dataset, files, grid
from pipdream.cli import SEED, IntRange

NAME = "dataset"
HELP = "render N random dice (32x32, faces 1-6, angles in [-90, 90)) to an .npz"
ORDER = 10
EXAMPLES = """examples:
  pipdream dataset --n 10000 --seed 0 --out dice.npz
  pipdream dataset --n 48 --seed 1 --out /tmp/few.npz --preview /tmp/few.png

The .npz holds images (N, 32, 32) uint8, faces (N,) 1..6 and angles (N,) degrees.
Missing folders of --out and --preview are created.
"""

PREVIEW_MAX = 64  # tiles in the preview grid


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--n", type=IntRange(1, 500_000), required=True, help="number of dice, %(type)s")
    p.add_argument("--seed", type=SEED, default=0, help="random seed, %(type)s (same seed, same file)")
    p.add_argument("--out", type=Path, required=True, help="output .npz (missing folders are created)")
    p.add_argument("--preview", type=Path, help=f"labelled PNG grid of the first {PREVIEW_MAX}")


def run(args: argparse.Namespace) -> int:
    files.output_file(args.out, "--out", (".npz",))
    if args.preview:
        files.output_file(args.preview, "--preview", (".png",))
    data = dataset.make_dataset(args.n, args.seed)
    with files.atomic(args.out) as tmp:
        dataset.save_dataset(tmp, data)
    print(f"wrote {args.out}: {args.n} dice")
    if args.preview:
        k = min(args.n, PREVIEW_MAX)
        labels = grid.face_angle_labels(data["faces"][:k], data["angles"][:k])
        with files.atomic(args.preview) as tmp:
            grid.save_grid(tmp, data["images"][:k], labels)
        print(f"wrote {args.preview}")
    return 0
