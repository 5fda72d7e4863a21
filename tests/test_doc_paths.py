"""Every repository path a comment, docstring or document names exists.

A path is checked when it starts with one of the repository's top-level names (`host/...`,
`bench/...`, `README.md`): from the repository root, as a reader would look for it. (A document's
link or a Makefile's target may also be relative to its folder.) A path
that starts with anything else (`src/tumble.h`, `kernels/pd_oled.c`) is checked from the
citing file's folder and the folders above it; one whose first part exists in none of them
names another project's file (MicroPython's `extmod/machine_i2c.c`) and is not ours to check.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# a run of path characters with at least one "/" and a file name or folder after it
_PATH = re.compile(r"(?<![\w./<-])((?:\.{1,2}/)?[A-Za-z_.][\w.-]*(?:/[\w.-]+)+/?)")
_TEXT = (".py", ".c", ".h", ".S", ".md", ".mk", ".mjs", ".ld", ".sh", ".toml", ".json", ".pyi")
_SKIP = ("bench/results/", "models/", "package.json")  # data files: they name paths as data
_EXTRA = ("Makefile", ".ci/run")
# what a path follows when it names an output to be made or another project's file
_NOT_OURS = re.compile(r"(--out|--plots|--stage|--preview|-o|upstream's|MicroPython's)[ =]`?$")


def _tracked() -> list[str]:
    out = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    return out.splitlines()


def _ignored(path: Path) -> bool:
    """Made by a build or a run (.gitignore says so): it need not exist in a checkout."""
    rel = path.resolve().relative_to(REPO) if REPO in path.resolve().parents else None
    return rel is not None and subprocess.run(["git", "check-ignore", "-q", "--no-index", str(rel)],
                                              cwd=REPO).returncode == 0


def _top_level(files: list[str]) -> set[str]:
    return {f.split("/", 1)[0] for f in files} | {".venv", ".cache", "out"}  # made by setup and runs


def _sources(files: list[str]) -> list[str]:
    return [f for f in files if (f.endswith(_TEXT) or f.split("/")[-1] in _EXTRA or "Makefile" in f)
            and not f.startswith(_SKIP)]


def _candidates(text: str):
    for m in _PATH.finditer(text):
        p = m.group(1).rstrip(".")
        if "://" in text[max(0, m.start() - 8):m.start() + 3] or text[m.end():m.end() + 1] in ("(", "<"):
            continue  # a URL, a call like os.path.join(, a template like board_<name>.py
        if _NOT_OURS.search(text[max(0, m.start() - 16):m.start()]):
            continue
        last = p.rstrip("/").rsplit("/", 1)[-1]
        if not (p.endswith("/") or "." in last.lstrip(".")) or p.endswith(("_", "-")):
            continue  # "natmod/viper" (a choice), a built binary, a name's stem
        if p.startswith("../shared/"):
            continue  # beside the checkout, documented in its own README
        yield p.rstrip("/")


def missing_paths(rel: str, text: str, top: set[str], exists=lambda p: p.exists(),
                  ignored=lambda p: False) -> list[str]:
    """The paths `text` (the file at `rel`) names that do not exist."""
    bad = []
    here = (REPO / rel).parent
    for p in _candidates(text):
        first = p.split("/", 1)[0]
        if p.startswith(("./", "../")):
            roots = [here, REPO]  # a link from this file, or a command run in the checkout
        elif first in top:
            # from the root; a document's link or a Makefile's target may also be from its folder
            roots = [REPO, here] if rel.endswith((".md", "Makefile", ".mk")) else [REPO]
        else:
            roots = [d for d in (here, *here.parents) if d == REPO or REPO in d.parents]
            roots = [d for d in roots if exists(d / first)]
            if not roots:
                continue  # another project's file
        if not any(exists(r / p) or ignored(r / p) for r in roots):
            bad.append(p)
    return bad


def test_the_checker_catches_a_path_that_moved():
    top = {"device", "bench", "boards"}
    text = "// cites device/pdroll.py and bench/mac_bench.c; see extmod/modframebuf.c and src/nothing.h"
    assert missing_paths("boards/atmega328p/src/tumble.h", text, top) == [
        "device/pdroll.py", "bench/mac_bench.c", "src/nothing.h"]


def test_the_checker_accepts_what_exists():
    top = {"device", "boards"}
    text = "device/pdview.py, boards/atmega328p/bench/mac_bench.c, src/avr_ctx.h, https://x.org/a/b.c"
    assert missing_paths("boards/atmega328p/src/tumble.h", text, top) == []


@pytest.fixture(scope="module")
def tree() -> tuple[list[str], set[str]]:
    files = _tracked()
    return _sources(files), _top_level(files)


def test_every_path_in_comments_docstrings_and_documents_exists(tree):
    sources, top = tree
    bad = {}
    for rel in sources:
        if rel == "tests/test_doc_paths.py":
            continue  # its own examples name missing paths on purpose
        path = REPO / rel
        if not path.is_file():
            continue  # deleted in the working tree, not yet committed
        miss = missing_paths(rel, path.read_text(errors="replace"), top, ignored=_ignored)
        if miss:
            bad[rel] = sorted(set(miss))
    assert not bad, "paths that do not exist:\n" + "\n".join(f"  {k}: {', '.join(v)}" for k, v in bad.items())
