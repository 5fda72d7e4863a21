"""pipdream generate: draw dice for given faces and angles."""

from __future__ import annotations

import argparse
from pathlib import Path

from pipdream import files, generate, paths
from pipdream.cli import IntRange

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
(a single value repeats), at most 4096 dice. A list that starts with a minus sign
needs the --angle=... form, or argparse takes it for an option. Missing folders
of --out are created.
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
    p.add_argument("--out", type=Path, required=True,
                   help=".png preview grid or .npy array (missing folders are created)")
    p.add_argument("--scale", type=IntRange(1, 32), default=8,
                   help="PNG upscaling factor, %(type)s (default 8; the sheet is at most 50 million pixels)")


def run(args: argparse.Namespace) -> int:
    files.output_file(args.out, "--out", generate.SUFFIXES)
    faces, angles = generate.zip_pairs(
        generate.parse_list(args.face, int, "face"), generate.parse_list(args.angle, float, "angle")
    )
    if args.out.suffix == ".png":
        generate.check_png(len(faces), args.scale)
    if args.blob:
        images = generate.generate_from_blob(args.blob, faces, angles, args.backend)
    elif args.backend != "reference":
        raise ValueError("--backend needs --blob: the backends run the int8 model")
    else:
        images = generate.generate(args.checkpoint, faces, angles)  # (N, 32, 32) uint8
    generate.write(args.out, images, faces, angles, args.scale)
    print(f"wrote {args.out}: {len(faces)} dice")
    return 0
