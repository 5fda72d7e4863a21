"""pipdream flash: MicroPython firmware onto an ESP32, ESP32-C3 or ESP32-S3 with esptool."""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "flash"
HELP = "write MicroPython firmware to an ESP32-family board with esptool (right offset per chip)"
ORDER = 42
EXAMPLES = """examples:
  pipdream flash --board esp32 --port /dev/ttyUSB0 --firmware ESP32_GENERIC-20250415-v1.25.0.bin --erase
  pipdream flash --board esp32c3 --port /dev/ttyACM0 --firmware ESP32_GENERIC_C3.bin
  pipdream flash --chip esp32s3 --port /dev/ttyACM0 --firmware ESP32_GENERIC_S3.bin --dry-run

The offset is the board module's (FLASH_OFFSET). Pico, Pico 2: copy the .uf2 to the
board's drive; ATmega328p: make -C boards/atmega328p flash PORT=... (docs/deploy.md).
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    from pipdream.boards import known_boards
    from pipdream.cli import IntRange
    from pipdream.flash import DEFAULT_BAUD, OFFSETS

    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--board", choices=known_boards(), help="the board (its module names the chip)")
    which.add_argument("--chip", choices=sorted(OFFSETS), help="the chip, for a board with no module here")
    p.add_argument("--port", required=True, help="serial port of the board (/dev/ttyUSB0, COM3)")
    p.add_argument("--firmware", required=True, type=Path,
                   help="MicroPython .bin from micropython.org/download")
    p.add_argument("--erase", action="store_true", help="erase the whole flash first (a fresh filesystem)")
    p.add_argument("--baud", type=IntRange(9600, 5_000_000), default=DEFAULT_BAUD,
                   help=f"baud rate for writing, %(type)s (default {DEFAULT_BAUD})")
    p.add_argument("--dry-run", action="store_true", help="print the esptool commands without running them")


def run(args: argparse.Namespace) -> int:
    from pipdream.flash import board_chip, flash

    flash(args.chip or board_chip(args.board), args.port, args.firmware, erase=args.erase, baud=args.baud,
          dry_run=args.dry_run)
    return 0
