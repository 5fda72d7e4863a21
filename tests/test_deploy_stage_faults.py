"""A stage folder (which may be the board itself: a CIRCUITPY drive) is bootable at every moment
of `write_stage`: a kill at any step, or a disk that fills up, leaves every module of the
previous set whole (its old or its new version, never absent or torn), and the next stage
completes the new set.

The kill is a real SIGKILL, sent from a Python audit hook just before the stage's n-th
filesystem change (a file opened for writing, a rename, a removal), whatever write_stage does
in between. The full disk is a real tmpfs of a few pages, mounted in a user namespace
(`unshare -rm`), or a fault injected at each write where mounting is not possible."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from pipdream import deploy as D
from pipdream.cli import CommandError
from pipdream.sim.stage import SIM_ARCH

BOARD = D.board_module("pico")


def item_sets() -> tuple[list[D.Item], list[D.Item]]:
    """(compiled .mpy set, source .py set): going either way replaces modules by their shadows."""
    compiled = D.build_plan(BOARD, SIM_ARCH, compile_py=True)
    source = D.build_plan(BOARD, SIM_ARCH, compile_py=False)
    return compiled, source


def put(directory: Path, items: list[D.Item]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for it in items:
        (directory / it.name).write_bytes(it.data)


def whole_modules(directory: Path, old: list[D.Item], new: list[D.Item]) -> list[str]:
    """What is wrong with directory as a board's filesystem: each module the app imports must be
    the file MicroPython picks (.py before .mpy), with the bytes of its old or its new version."""
    versions: dict[str, set[bytes]] = {}
    for it in old + new:
        stem = it.name[:-4] if it.name.endswith(".mpy") and it.name != D.NATMOD_NAME else it.name
        stem = stem[:-3] if stem.endswith(".py") else stem
        versions.setdefault(stem, set()).add(it.data)
    wrong = []
    for stem, datas in sorted(versions.items()):
        if stem.endswith((".blob", ".mpy")):  # the model and the natmod: one name each
            found = [directory / stem]
        else:
            found = [directory / (stem + ext) for ext in (".py", ".mpy")]
        present = [p for p in found if p.is_file()]
        if not present:
            wrong.append(f"{stem}: missing")
        elif present[0].read_bytes() not in datas:
            wrong.append(f"{present[0].name}: neither its old nor its new bytes")
    return wrong


def is_change(event: str, args: tuple, stage: str) -> bool:
    """A filesystem change inside the stage: opened for writing, renamed, removed."""
    if event == "open":
        path, mode, flags = args
        writes = any(c in mode for c in "wax+") if isinstance(mode, str) else \
            bool(flags & (os.O_WRONLY | os.O_RDWR))
        return isinstance(path, (str, Path)) and str(path).startswith(stage) and writes
    if event in ("os.rename", "os.remove"):
        return str(args[0]).startswith(stage)
    return False


def killed_at(step: int, items: list[D.Item], stage: Path) -> bool:
    """Run write_stage in a forked child that SIGKILLs itself before its step-th change;
    True when the kill came (False: the stage finished first)."""
    pid = os.fork()
    if pid == 0:  # the child: nothing but write_stage, then _exit
        count = [0]
        where = str(stage)

        def hook(event: str, args: tuple) -> None:
            if is_change(event, args, where):
                if count[0] == step:
                    os.kill(os.getpid(), signal.SIGKILL)
                count[0] += 1

        sys.addaudithook(hook)
        try:
            D.write_stage(items, stage, log=lambda s: None)
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    return os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL


@pytest.mark.parametrize("direction", ["mpy to py", "py to mpy"])
def test_a_kill_at_every_step_leaves_every_module_whole_and_the_next_stage_completes(tmp_path, direction):
    compiled, source = item_sets()
    old, new = (compiled, source) if direction == "mpy to py" else (source, compiled)
    same = {(it.name, it.data) for it in old}
    changed = [it for it in new if (it.name, it.data) not in same]
    base = tmp_path
    if os.access("/dev/shm", os.W_OK):  # a memory disk: write_stage's fsyncs cost nothing there
        base = Path(tempfile.mkdtemp(prefix="pipdream-stage-", dir="/dev/shm"))
    try:
        step = 0
        while True:
            stage = base / f"kill{step}"
            put(stage, old)
            if not killed_at(step, new, stage):
                break
            assert whole_modules(stage, old, new) == [], f"killed before change {step}"
            D.write_stage(new, stage, log=lambda s: None)  # the next deploy
            assert sorted(p.name for p in stage.iterdir()) == sorted(it.name for it in new), step
            assert whole_modules(stage, new, new) == [], step
            shutil.rmtree(stage)
            step += 1
    finally:
        if base != tmp_path:
            shutil.rmtree(base)
    assert step >= 2 * len(changed), f"only {step} changes seen"  # each file written, then renamed


def test_a_write_that_fails_at_any_file_keeps_the_previous_set_and_says_so(tmp_path, monkeypatch):
    """Fault injection where no tmpfs can be mounted: the n-th file opened for writing in the
    stage fails with ENOSPC, as a full disk does."""
    compiled, source = item_sets()
    real_open = open
    same = {(it.name, it.data) for it in compiled}
    changed = [it for it in source if (it.name, it.data) not in same]  # main.py, pdsettings.py stay
    for n in range(len(changed)):
        stage = tmp_path / f"full{n}"
        put(stage, compiled)
        opened = [0]

        def full_open(path, mode="r", *a, _n=n, _stage=str(stage), _opened=opened, **kw):
            if str(path).startswith(_stage) and any(c in mode for c in "wax+"):
                _opened[0] += 1
                if _opened[0] > _n:
                    raise OSError(28, "No space left on device", str(path))
            return real_open(path, mode, *a, **kw)

        monkeypatch.setattr("builtins.open", full_open)
        monkeypatch.setattr(Path, "write_bytes", lambda self, data: _write(self, data, full_open))
        with pytest.raises(CommandError, match=r"the disk is full; .* keeps its previous files"):
            D.write_stage(source, stage, log=lambda s: None)
        monkeypatch.undo()
        assert whole_modules(stage, compiled, compiled) == [], n
        assert sorted(p.name for p in stage.iterdir()) == sorted(it.name for it in compiled), n


def _write(path: Path, data: bytes, opener) -> int:
    with opener(path, "wb") as f:
        return f.write(data)


TMPFS_CHILD = r"""
import json, os, subprocess, sys
from pathlib import Path
from pipdream import deploy as D
from pipdream.cli import CommandError
sys.path.insert(0, sys.argv[3])
import test_deploy_stage_faults as T

mount, out = Path(sys.argv[1]), Path(sys.argv[2])
compiled, source = T.item_sets()
page = os.sysconf("SC_PAGE_SIZE")
def pages_of(items):
    return sum(-(-len(it.data) // page) for it in items)
pages = pages_of(compiled) + pages_of(source) + 16
subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%d" % (pages * page), "tmpfs", str(mount)], check=True)
results = []
for spare in list(range(0, pages_of(source), 4)) + [pages_of(source) + 4]:  # none .. room for all
    stage = mount / "CIRCUITPY"
    T.put(stage, compiled)
    filler = mount / "filler"
    free = os.statvfs(mount).f_bavail * page
    with open(filler, "wb") as f:
        f.write(bytes(max(0, free - spare * page)))
    try:
        D.write_stage(source, stage, log=lambda s: None)
        said = None
    except CommandError as e:
        said = str(e)
    filler.unlink()
    names = sorted(p.name for p in stage.iterdir())
    results.append({"spare": spare, "said": said, "wrong": T.whole_modules(stage, compiled, source),
                    "new": names == sorted(it.name for it in source)})
    subprocess.run(["rm", "-rf", str(stage)], check=True)
out.write_text(json.dumps(results))
"""


def test_a_full_tmpfs_keeps_the_previous_set_at_every_level_of_free_space(tmp_path):
    if shutil.which("unshare") is None:
        pytest.skip("no unshare(1) to mount a tmpfs")
    mount = tmp_path / "mnt"
    mount.mkdir()
    probe = subprocess.run(["unshare", "-rm", "mount", "-t", "tmpfs", "tmpfs", str(mount)],
                           capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {probe.stderr.decode().strip()}")
    out = tmp_path / "results.json"
    subprocess.run(["unshare", "-rm", sys.executable, "-c", TMPFS_CHILD, str(mount), str(out),
                    str(Path(__file__).parent)], check=True, timeout=300)
    results = json.loads(out.read_text())
    assert any(r["said"] for r in results) and results[-1]["new"], results  # both outcomes were seen
    for r in results:
        assert r["wrong"] == [], r
        if r["said"] is not None:
            assert "the disk is full" in r["said"] and len(r["said"].splitlines()) == 1, r
        else:
            assert r["new"], r
