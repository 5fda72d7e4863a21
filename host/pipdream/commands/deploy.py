"""pipdream deploy: the die app onto a MicroPython board over its USB serial port, or into a folder."""

from __future__ import annotations

import argparse
from pathlib import Path

from pipdream import deploy as D
from pipdream import files
from pipdream.cli import FloatRange

NAME = "deploy"
HELP = "copy the app, board module, natmod and model onto a board (mpremote) or into a folder"
ORDER = 40
EXAMPLES = """examples:
  pipdream deploy --board pico --port /dev/ttyACM0
  pipdream deploy --board esp32 --port /dev/ttyUSB0 --no-natmod
  pipdream deploy --board pico --stage out/pico            # what would go on the board, into a folder
  pipdream deploy --board cp_pico --stage /media/$USER/CIRCUITPY
  pipdream emulate --link /tmp/board & pipdream deploy --board pico --arch x64 --port /tmp/board

Files already on the board with the same sha256 are skipped; each copied file is
verified by hash and renamed into place (a cut connection never leaves half a file).
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--board", required=True,
                   help=f"board module boards/board_<name>.py: {', '.join(D.known_boards())}")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--port", help="the board's serial port (/dev/ttyACM0, COM3, `pipdream emulate`'s)")
    where.add_argument("--stage", type=Path, metavar="DIR",
                       help="write the board's files into DIR instead (created if missing)")
    p.add_argument("--arch", choices=[a for a in D.ARCH_NAMES if a], metavar="ARCH",
                   help="natmod/viper architecture instead of the board module's NATMOD_ARCH "
                        "(x64 for an emulated board): %(choices)s")
    p.add_argument("--no-natmod", action="store_true",
                   help="leave the native module out (the app uses viper)")
    p.add_argument("--model", type=Path, default=D.DEFAULT_MODEL,
                   help="model blob (default: models/default.blob); checked as the board will "
                        "(header, CRC, layers, scratch within the board's SCRATCH_BUDGET) before "
                        "anything is copied: a bad one is refused and the board keeps its model")
    p.add_argument("--no-compile", action="store_true", help="copy .py sources instead of mpy-cross output")
    p.add_argument("--watch", type=FloatRange(0, 3600), default=6.0, metavar="S",
                   help="after the reset, echo the board's output for up to S seconds, %(type)s "
                        "(default 6)")
    p.add_argument("--until", metavar="TEXT", help="... or until a line contains TEXT")


def run(args: argparse.Namespace) -> int:
    board = D.board_module(args.board)
    D.check_model(args.model, board)  # before anything is built, copied or connected
    if args.stage is not None:
        files.output_dir(args.stage, "--stage")
        items = D.plan_for(board, args.arch or board.natmod_arch, use_natmod=not args.no_natmod,
                           model=args.model, compile_py=not args.no_compile)
        written = D.write_stage(items, args.stage)
        for it in items:
            state = "wrote" if it.name in written else "same "
            print(f"{state} {args.stage / it.name}  ({len(it.data)} bytes, from {it.origin})")
        return 0
    report = D.deploy(board, args.port, arch=args.arch, use_natmod=not args.no_natmod, model=args.model,
                      compile_py=not args.no_compile, watch=args.watch, until=args.until)
    print(f"deployed: {len(report.copied)} copied, {len(report.unchanged)} unchanged"
          + (f", {len(report.removed)} removed" if report.removed else ""))
    return 0
