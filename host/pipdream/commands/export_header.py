"""pipdream export-header: regenerate the C header of format constants."""

from __future__ import annotations

import argparse
from pathlib import Path

from pipdream.blob import c_header

NAME = "export-header"
HELP = "regenerate the C header and MicroPython module of blob format constants"
ORDER = 32
EXAMPLES = """examples:
  pipdream export-header
  pipdream export-header --out /tmp/pd_format.h --device-out /tmp/pdformat.py
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, default=c_header.HEADER_PATH,
                   help="C header to write (missing folders are created)")
    p.add_argument("--device-out", type=Path, default=c_header.DEVICE_PATH,
                   help="MicroPython module to write (missing folders are created)")
    p.add_argument("--oled-out", type=Path, default=c_header.OLED_TABLES_PATH,
                   help="C header of the display tables (from device/pdview.py) to write")


def run(args: argparse.Namespace) -> int:
    for path in c_header.write(args.out, args.device_out, args.oled_out):
        print(f"wrote {path}")
    return 0
