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
import contextlib
import importlib
import math
import pkgutil
import re
import signal
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from pipdream import commands


class CommandError(Exception):
    """A user-facing failure: printed as `pipdream: error: ...`, exit status 2."""


class Terminated(BaseException):
    """SIGTERM, raised like Ctrl-C's KeyboardInterrupt so every `with` and `finally` cleans up."""


def number(text: str, kind: type = int) -> int | float:
    """text as an int or a finite float, or ValueError. Only ASCII: Python's int() and float()
    also read other scripts' digits ('\u0663' is 3), which a command line should not."""
    if not text.isascii():
        raise ValueError(f"not a number: {text!r}")
    value = kind(text)
    if not math.isfinite(value):  # nan, inf, and 1e309 (which reads as inf)
        raise ValueError(f"not a finite number: {text!r}")
    return value


class IntRange:
    """argparse type: an integer in lo..hi. In help, %(type)s shows the range."""

    kind = int

    def __init__(self, lo: int, hi: int) -> None:
        self.lo, self.hi = lo, hi

    def __call__(self, text: str) -> int:
        try:
            value = number(text, self.kind)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {'an integer' if self.kind is int else 'a number'} "
                                             f"in {self}, got {text!r}") from None
        if not self.lo <= value <= self.hi:
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
            try:
                mod = importlib.import_module(info.module)
            except ModuleNotFoundError as e:
                if e.name != "torch":
                    raise
                p.epilog = f"{info.examples or ''}\n{NEEDS_TORCH}\n"  # --help still shows what it does
                p.set_defaults(_run=_needs_torch, _any_arguments=True)
                continue
            mod.add_arguments(p)
            p.set_defaults(_run=mod.run, _parser=p)
    return parser


def file_arguments(args: argparse.Namespace) -> list[tuple[str, Path]]:
    """Every path the command was given (defaults included), each with how messages name it:
    outputs are checked against them (files.output_file), so none overwrites an input."""
    parser = getattr(args, "_parser", None)
    names = {a.dest: a.option_strings[0] if a.option_strings else "the " + a.dest
             for a in (parser._actions if parser else [])}
    found = []
    for dest, value in vars(args).items():
        for v in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(v, Path):
                found.append((names.get(dest, dest), v))
    return found


@contextlib.contextmanager
def _sigterm_raises() -> Iterator[None]:
    """SIGTERM becomes Terminated while a command runs: temporary folders and files are removed
    on the way out, as on Ctrl-C. (A signal handler can only be set from the main thread.)"""
    def handler(signum, frame):  # noqa: ARG001
        raise Terminated

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# The one line a command that needs torch prints when the base install (no torch) runs it.
NEEDS_TORCH = ("this command needs torch, which the base install leaves out: pip install 'pipdream[train]' "
               "(scripts/setup.sh installs its CPU build)")


def _needs_torch(args: argparse.Namespace) -> int:
    raise CommandError(NEEDS_TORCH)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser(argv)
    try:
        args, extra = parser.parse_known_args(argv)
        if extra and not getattr(args, "_any_arguments", False):
            parser.error(f"unrecognized arguments: {' '.join(extra)}")  # what parse_args says
    except SystemExit as e:  # --help (0) or a bad argument (2, its one line already printed)
        return e.code if isinstance(e.code, int) else 2
    from pipdream import files  # it imports NumPy: not for --help

    try:
        with _sigterm_raises(), files.arguments(file_arguments(args)):
            return int(args._run(args) or 0)
    except (CommandError, ValueError, OSError) as exc:
        # Bad input gets one clear line, never a traceback.
        print(f"pipdream {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C: every output is whole or not there (files.atomic)
        print(f"\npipdream {args.command}: interrupted", file=sys.stderr)
        return 130
    except Terminated:
        print(f"\npipdream {args.command}: terminated", file=sys.stderr)
        return 128 + signal.SIGTERM
    except ModuleNotFoundError as exc:  # a torch import inside the command (evaluate --checkpoint)
        if exc.name != "torch":
            raise
        print(f"pipdream {args.command}: error: {NEEDS_TORCH}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
