"""The `pipdream` command line: one subcommand per module in `pipdream.commands`.

Each command module defines `NAME`, `HELP` (one line), `ORDER` (position in
`pipdream --help`), `add_arguments(parser)` and `run(args) -> int`. Modules
are discovered, so adding a command never edits this file. Their constants
are read from the source without importing it, and only the module of the
command being run is imported: `pipdream --help` or `pipdream flash` never
pays for torch.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import pkgutil
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from pipdream import commands


class CommandError(Exception):
    """A user-facing failure: printed as `pipdream: error: ...`, exit status 2."""


class IntRange:
    """argparse type: an integer in lo..hi. In help, %(type)s shows the range."""

    kind = int

    def __init__(self, lo: int, hi: int) -> None:
        self.lo, self.hi = lo, hi

    def __call__(self, text: str) -> int:
        try:
            value = self.kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {'an integer' if self.kind is int else 'a number'} "
                                             f"in {self}, got {text!r}") from None
        if not self.lo <= value <= self.hi or value != value:  # value != value: NaN
            raise argparse.ArgumentTypeError(f"must be {self}, got {text}")
        return value

    def __str__(self) -> str:
        return f"{self.lo}..{self.hi}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.lo}, {self.hi})"


class FloatRange(IntRange):
    """argparse type: a number in lo..hi."""

    kind = float

    def __str__(self) -> str:
        shown = [f"{v:.0f}" if float(v).is_integer() else f"{v:g}" for v in (self.lo, self.hi)]
        return "..".join(shown)


SEED = IntRange(0, 2**32 - 1)  # random seeds (NumPy takes no negative ones)
THREADS = IntRange(1, 256)  # torch threads


class Parser(argparse.ArgumentParser):
    """Errors are one line: `pipdream CMD: error: --flash must be 64..16384, got 0 (see --help)`."""

    def error(self, message: str) -> NoReturn:
        message = re.sub(r"^argument ([^:]+): must be", r"\1 must be", message)
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


@dataclass(frozen=True)
class CommandInfo:
    module: str
    name: str
    help: str
    order: int
    examples: str | None


def _constants(path: Path) -> dict:
    """The module's top-level literal assignments (NAME, HELP, ...), without running it."""
    out = {}
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name) and target.id.isupper():
                try:
                    out[target.id] = ast.literal_eval(node.value)
                except ValueError:
                    pass
    return out


def command_infos() -> list[CommandInfo]:
    infos = []
    for info in pkgutil.iter_modules(commands.__path__):
        if info.name.startswith("_"):
            continue
        c = _constants(Path(commands.__path__[0]) / f"{info.name}.py")
        infos.append(CommandInfo(f"{commands.__name__}.{info.name}", c["NAME"], c["HELP"],
                                 c.get("ORDER", 100), c.get("EXAMPLES")))
    return sorted(infos, key=lambda i: (i.order, i.name))


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser; only the command named in argv (if any) has its module imported."""
    argv = sys.argv[1:] if argv is None else argv
    parser = Parser(
        prog="pipdream",
        description="A generative-AI electronic die: train, quantize, pack, simulate, deploy.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    chosen = next((a for a in argv if not a.startswith("-")), None)
    for info in command_infos():
        p = sub.add_parser(
            info.name,
            help=info.help,
            description=info.help,
            epilog=info.examples,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        if info.name == chosen:
            mod = importlib.import_module(info.module)
            mod.add_arguments(p)
            p.set_defaults(_run=mod.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser(argv)
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help (0) or a bad argument (2, its one line already printed)
        return e.code if isinstance(e.code, int) else 2
    try:
        return int(args._run(args) or 0)
    except (CommandError, ValueError, OSError) as exc:
        # Bad input gets one clear line, never a traceback.
        print(f"pipdream {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
