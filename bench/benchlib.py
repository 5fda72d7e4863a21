"""What the bench scripts share: a measuring script's main() (--quick prints, else it also writes
bench/results/), the name a results file gives a path, and the generated block of a markdown doc.

A script imports it after `sys.path.insert(0, <this folder>)`, so that it is found both when the
script is run (`python bench/<script>.py`) and when a test loads the script by its path.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def quick_main(doc: str, measure: Callable[[bool], dict], results: Path, quick_help: str, indent: int = 2,
               argv: list[str] | None = None) -> int:
    """A script's main(): --quick (quick_help says what it does), measure(quick) printed as JSON and,
    without --quick, written to `results`."""
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help=quick_help)
    args = parser.parse_args(argv)
    text = json.dumps(measure(args.quick), indent=indent)
    print(text)
    if not args.quick:
        results.parent.mkdir(parents=True, exist_ok=True)
        results.write_text(text + "\n")
        print(f"wrote {results}", file=sys.stderr)
    return 0


def repo_name(path: Path) -> str:
    """`path` as a results file names it: from the checkout's root when inside it, else absolute."""
    path = path.resolve()
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def write_doc_block(doc: str | Path, begin: str, end: str, text: str, title: str | None = None) -> None:
    """Puts `text` between the lines `begin` and `end` of the markdown file `doc` and says so; nothing
    for doc ''. A missing doc is an error, or with `title`, a new page of that title."""
    if not doc:
        return
    doc = Path(doc)
    old = f"# {title}\n\n{begin}\n{end}\n" if title and not doc.exists() else doc.read_text()
    if begin not in old or end not in old:
        raise ValueError(f"{doc}: no {begin} ... {end} block")
    head, rest = old.split(begin, 1)
    doc.write_text(f"{head}{begin}\n{text}\n{end}{rest.split(end, 1)[1]}")
    print(f"wrote {doc}")
