"""pipdream emulate: a MicroPython board on a pseudo-terminal, for mpremote and pipdream deploy."""

from __future__ import annotations

import argparse
import signal
import tempfile
from pathlib import Path

from pipdream import files
from pipdream.cli import SEED, FloatRange, IntRange
from pipdream.sim.world import CLOCKS

NAME = "emulate"
HELP = "run an emulated MicroPython board on a pseudo-terminal (for mpremote and pipdream deploy)"
ORDER = 41
EXAMPLES = """examples:
  pipdream emulate --root board-fs                       # prints the port, e.g. /dev/pts/3
  pipdream emulate --root board-fs --link /tmp/pico      # ... and links /tmp/pico to it
  mpremote connect /tmp/pico ls                          # then, in another terminal
  pipdream deploy --board pico --arch x64 --port /tmp/pico
  pipdream emulate --root board-fs --press 3000 --press 6000 --records bus.log

The board runs the real MicroPython unix port with the board's heap; its "/" is
--root (a littlefs of the board's flash size), its REPL speaks what the firmware
speaks (friendly and raw REPL, raw paste, Ctrl-C, Ctrl-D soft reset with boot.py
and main.py). The simulation gives it an SSD1306 on the board module's I2C pins
and a button pressed at the --press times (ms after each boot). Native code is
x64: deploy with --arch x64. Ctrl-C here stops the emulator.
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--board", default="pico",
                   help="board module boards/board_<name>.py to play (default pico)")
    p.add_argument("--root", type=Path, help="host folder that is the board's filesystem, created if "
                                             "missing (default: a new temporary folder, deleted at exit)")
    p.add_argument("--link", type=Path, help="also make this symlink to the pseudo-terminal (replaces an "
                                             "old symlink there, never a file)")
    p.add_argument("--press", type=FloatRange(0, 86_400_000), action="append", default=[], metavar="MS",
                   help="press the button MS milliseconds after each boot, %(type)s (repeatable)")
    p.add_argument("--clock", choices=CLOCKS, default="real",
                   help="board clock: real (default: sleeps take real time), virtual (deterministic: "
                        "sleeps cost nothing, each generate() its modelled board time)")
    p.add_argument("--seed", type=SEED, help="seed os.urandom, %(type)s (the same rolls every boot)")
    p.add_argument("--flash", type=IntRange(64, 16384), metavar="KIB",
                   help="filesystem size in KiB, %(type)s (default: the board's)")
    p.add_argument("--baud", type=IntRange(300, 12_000_000),
                   help="serial speed in baud, %(type)s (default: USB speed, unlimited)")
    p.add_argument("--records", type=Path, help="append the simulated bus records to this file")
    p.add_argument("--no-sim", action="store_true", help="no simulated hardware: the plain unix port modules")


def run(args: argparse.Namespace) -> int:
    from pipdream.mpremote_board import BoardEmulator

    if args.root is not None:
        files.output_dir(args.root, "--root")
    if args.records is not None:
        files.output_file(args.records, "--records")
    if args.link is not None:
        if args.link.exists() and not args.link.is_symlink():
            raise ValueError(f"--link {args.link} exists and is not a symbolic link: name a new path")
        files.output_dir(args.link.parent, "--link's folder")
    tmp = None
    root = args.root
    if root is None:
        tmp = tempfile.TemporaryDirectory(prefix="pipdream-fs-")
        root = Path(tmp.name)
    root.mkdir(parents=True, exist_ok=True)
    emu = BoardEmulator(root, args.board, presses=args.press, clock=args.clock, seed=args.seed,
                        simulate=not args.no_sim, flash=args.flash * 1024 if args.flash else None,
                        link=args.link, record_path=args.records)
    emu.baud = args.baud
    print(emu.path, flush=True)
    print(f"emulated {args.board}: port {emu.path}{f' (link {args.link})' if args.link else ''}, "
          f"filesystem {root}, heap {emu.heap // 1024} KiB, flash {emu.flash // 1024} KiB", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: emu.stop())
    try:
        emu.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        emu.close()
        if tmp is not None:
            tmp.cleanup()
    return 0
