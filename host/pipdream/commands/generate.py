"""pipdream generate: draw dice for given faces and angles."""

from __future__ import annotations

import argparse
from pathlib import Path

from pipdream import generate, paths

NAME = "generate"
HELP = "draw dice for given faces and angles to a .png grid or a .npy array"
ORDER = 14
EXAMPLES = """examples:
  pipdream generate --face 1,2,3,4,5,6 --angle 0,15,30,45,60,75 --out dice.png
  pipdream generate --face 6 --angle=-90,-45,0,45 --out six.npy   # one face, four angles
  pipdream generate --face 3 --angle 10 --checkpoint run.pt --out three.png
  pipdream generate --blob models/default.blob --face 1,2,3 --angle 0,30,60 --out int8.png
  pipdream generate --blob models/default.blob --backend natmod --face 5 --angle 20 --out n.npy

Faces are 1..6, angles are degrees in [-90, 90); the lists are zipped pairwise
(a single value repeats). A list that starts with a minus sign needs the
--angle=... form, or argparse takes it for an option.
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--face", required=True, help="face or comma-separated faces, 1..6")
    p.add_argument("--angle", required=True,
                   help="angle(s) in degrees, [-90, 90); write --angle=-45,0 for negatives")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--checkpoint", type=Path, default=paths.DECODER_PT,
                     help="float decoder checkpoint (default: the shipped model)")
    src.add_argument("--blob", type=Path, help="int8 model blob instead of a float checkpoint")
    p.add_argument("--backend", default="reference",
                   choices=("reference", "natmod", "natmod-full", "viper", "python"),
                   help="with --blob: who runs it; natmod/viper/python use the real MicroPython "
                        "runtime (default: reference, the NumPy definition)")
    p.add_argument("--out", type=Path, required=True, help=".png preview grid or .npy array")
    p.add_argument("--scale", type=int, default=8, help="PNG upscaling factor (default 8)")


def run(args: argparse.Namespace) -> int:
    if args.out.suffix not in generate.SUFFIXES:
        raise ValueError(f"--out must end in .png or .npy, got {args.out}")
    if args.scale < 1:
        raise ValueError("--scale must be positive")
    faces, angles = generate.zip_pairs(
        generate.parse_list(args.face, int, "face"), generate.parse_list(args.angle, float, "angle")
    )
    if args.blob:
        images = generate.generate_from_blob(args.blob, faces, angles, args.backend)
    elif args.backend != "reference":
        raise ValueError("--backend needs --blob: the backends run the int8 model")
    else:
        images = generate.generate(args.checkpoint, faces, angles)  # (N, 32, 32) uint8
    generate.write(args.out, images, faces, angles, args.scale)
    print(f"wrote {args.out}: {len(faces)} dice")
    return 0
