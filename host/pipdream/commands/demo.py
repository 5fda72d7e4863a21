"""pipdream demo: roll the die on a simulated board (real MicroPython, emulated OLED)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipdream import files
from pipdream.cli import SEED, IntRange
from pipdream.sim.demo import BACKENDS, DemoOptions, run_demo
from pipdream.sim.runner import SimError

NAME = "demo"
HELP = "roll the die on a simulated Pico: real MicroPython + natmod, emulated SSD1306, scripted button"
ORDER = 1
EXAMPLES = """examples:
  pipdream demo                         # 3 rolls, pictures in out/demo
  pipdream demo --rolls 5 --seed 42     # the same 5 rolls every time
  pipdream demo --backend viper --out /tmp/viper-demo
  pipdream demo --show none             # no pictures in the terminal, only files
  pipdream demo --model my.blob         # your own model on the simulated board
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--rolls", type=IntRange(1, 1000), default=3, help="button presses, %(type)s (default 3)")
    p.add_argument("--seed", type=SEED, default=None,
                   help="seed of the board's os.urandom, %(type)s, to replay the same rolls "
                        "(default: random)")
    p.add_argument("--backend", choices=BACKENDS, default="natmod",
                   help="inference backend the app uses (default natmod; auto = the app's own choice)")
    p.add_argument("--out", type=Path, default=Path("out/demo"),
                   help="output folder, created if missing (default out/demo)")
    p.add_argument("--board", default="pico", help="board module to simulate (default pico)")
    p.add_argument("--model", type=Path, default=None,
                   help="model blob to put on the board (default models/default.blob); a corrupt one "
                        "goes on as it is, to show what the app says")
    p.add_argument("--show", choices=("auto", "all", "final", "none"), default="auto",
                   help="frames in the terminal: all (redrawn in place), final (last of each roll), "
                        "none; auto = all on a terminal, final otherwise")


def _not_another_network(model: Path) -> None:
    """A valid blob that is not the die (a 2x2 or 64x64 output, 32 faces) is refused here; a
    corrupt one goes on the board as it is, to show what the app says about it."""
    from pipdream.blob import BlobError, check_die, load, read_file

    try:
        qmodel = load(read_file(model))
    except (BlobError, ValueError):
        return
    check_die(qmodel, model)


def run(args: argparse.Namespace) -> int:
    files.output_dir(args.out, "--out")
    if args.model is not None:  # missing or a folder: nothing to put on the board
        files.input_file(args.model, "model blob", empty_ok=True)
        _not_another_network(args.model)
    try:
        opts = DemoOptions(rolls=args.rolls, seed=args.seed, backend=args.backend, out=args.out,
                           board=args.board, show=args.show)
        if args.model is not None:
            opts.model = args.model
        summary = run_demo(opts)
    except SimError as e:  # the app did not get through the rolls: say why, with its console
        print(f"pipdream demo: error: {e}", file=sys.stderr)
        return 1
    failed = [r["roll"] for r in summary["rolls"] if not r.get("png")]
    if failed:
        print(f"pipdream demo: rolls {failed} drew nothing on the display", file=sys.stderr)
        return 1
    if any(r["backend"] in (None, "no model") for r in summary["rolls"]):
        print("pipdream demo: the app rolled without its model (its console lines above say why)",
              file=sys.stderr)
        return 1
    return 0
