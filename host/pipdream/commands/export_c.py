"""pipdream export-c: a blob as a C header (PROGMEM on AVR)."""

from __future__ import annotations

import argparse
from pathlib import Path

from pipdream import files
from pipdream.blob import export_c, load, read_file

NAME = "export-c"
HELP = "write a blob as a C array (PROGMEM on AVR) for bare-metal firmware"
ORDER = 23
EXAMPLES = """examples:
  pipdream export-c models/default.blob --out boards/atmega328p/model_blob.h
  pipdream export-c models/default.blob --out /tmp/m.h --name my_model
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("blob", type=Path, help="blob file (checked before export)")
    p.add_argument("--out", type=Path, required=True, help="C header to write (missing folders are created)")
    p.add_argument("--name", default="pd_model_blob", help="C identifier of the array")


def run(args: argparse.Namespace) -> int:
    files.output_file(args.out, "--out")
    data = read_file(args.blob)
    load(data)  # never export a blob the firmware would reject
    files.write_text(args.out, export_c.render(data, args.name, args.blob.name))
    print(f"wrote {args.out} ({len(data)} bytes as {args.name})")
    return 0
