"""pipdream dataset: render random dice to an .npz (and optionally a preview grid)."""

from __future__ import annotations

import argparse
from pathlib import Path

from pipdream import dataset, grid

NAME = "dataset"
HELP = "render N random dice (32x32, faces 1-6, angles in [-90, 90)) to an .npz"
ORDER = 10
EXAMPLES = """examples:
  pipdream dataset --n 10000 --seed 0 --out dice.npz
  pipdream dataset --n 48 --seed 1 --out /tmp/few.npz --preview /tmp/few.png

The .npz holds images (N, 32, 32) uint8, faces (N,) 1..6 and angles (N,) degrees.
"""

PREVIEW_MAX = 64  # tiles in the preview grid


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--n", type=int, required=True, help="number of dice")
    p.add_argument("--seed", type=int, default=0, help="random seed (same seed, same file)")
    p.add_argument("--out", type=Path, required=True, help="output .npz")
    p.add_argument("--preview", type=Path, help=f"labelled PNG grid of the first {PREVIEW_MAX}")


def run(args: argparse.Namespace) -> int:
    if args.out.suffix != ".npz":
        raise ValueError(f"--out must end in .npz, got {args.out}")
    if args.preview and args.preview.suffix != ".png":
        raise ValueError(f"--preview must end in .png, got {args.preview}")
    data = dataset.make_dataset(args.n, args.seed)
    dataset.save_dataset(args.out, data)
    print(f"wrote {args.out}: {args.n} dice")
    if args.preview:
        k = min(args.n, PREVIEW_MAX)
        labels = grid.face_angle_labels(data["faces"][:k], data["angles"][:k])
        grid.save_grid(args.preview, data["images"][:k], labels)
        print(f"wrote {args.preview}")
    return 0
