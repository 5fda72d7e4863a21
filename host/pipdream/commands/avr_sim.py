"""pipdream avr-sim: roll the die on the ATmega328p firmware, cycle by cycle in simavr."""

from __future__ import annotations

import argparse
from pathlib import Path

from pipdream import avr, files
from pipdream.blob import format as F
from pipdream.cli import SEED, CommandError, IntRange

NAME = "avr-sim"
HELP = "run the ATmega328p firmware in simavr: rolls, display PNGs, cycles, stack and RAM"
ORDER = 62
EXAMPLES = """examples:
  pipdream avr-sim                           3 button presses, out/avr-sim/roll-01.png ... rolls.json
  pipdream avr-sim --rolls 1 --face 6 --angle -40 --out /tmp/six
  pipdream avr-sim --impl c --no-display     the plain C kernels, no OLED attached

needs avr-gcc, avr-libc and simavr/libsimavr-dev (scripts/setup.sh installs them);
the firmware and the harness are built under the cache (.cache/avr/ in a checkout) when stale.
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--rolls", type=IntRange(1, 200), default=3,
                   help="rolls to simulate, %(type)s (default 3)")
    p.add_argument("--out", type=Path, default=Path("out/avr-sim"),
                   help="output folder (default out/avr-sim)")
    p.add_argument("--face", type=IntRange(1, F.N_FACES),
                   help="force this face, %(type)s (with --angle; uses the test-hook build)")
    p.add_argument("--angle", type=IntRange(-F.ANGLE_CODE_MAX, F.ANGLE_CODE_MAX),
                   help="force this angle code, %(type)s (with --face)")
    p.add_argument("--blob", type=Path, help="model (default models/default.blob)")
    p.add_argument("--impl", choices=("asm", "dot", "c"), default="asm",
                   help="kernels: AVR assembly (default), shared C with the asm dot product, plain C")
    p.add_argument("--no-display", action="store_true", help="no SSD1306 on the bus (every address NACKs)")
    p.add_argument("--wdt-seed", type=SEED, default=1,
                   help="watchdog jitter of the simulated chip, %(type)s (0: exact nominal period)")


def run(args: argparse.Namespace) -> int:
    files.output_dir(args.out, "--out")  # before the firmware is built
    try:
        summary = avr.simulate(args.out, rolls=args.rolls, face=args.face, angle=args.angle,
                               blob=args.blob, impl=args.impl, display=not args.no_display,
                               wdt_seed=args.wdt_seed)
    except RuntimeError as e:  # a failed build or run: say what happened, no traceback
        raise CommandError(str(e)) from e
    bad = [r["roll"] for r in summary["rolls"]
           if not r.get("display_matches_reference", True) or not r.get("image_matches_reference", True)]
    return 1 if bad else 0
