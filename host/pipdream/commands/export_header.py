"""pipdream export-header: regenerate the C header of format constants."""

from __future__ import annotations

import argparse
from pathlib import Path

from pipdream.blob import c_header

NAME = "export-header"
HELP = "regenerate natmod/kernels/pd_format.h from the Python format constants"
ORDER = 32
EXAMPLES = """examples:
  pipdream export-header
  pipdream export-header --out /tmp/pd_format.h
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, default=c_header.HEADER_PATH, help="header path to write")


def run(args: argparse.Namespace) -> int:
    print(f"wrote {c_header.write(args.out)}")
    return 0
