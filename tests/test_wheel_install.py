"""An installed pipdream is a whole pipdream: the wheel built from the checkout, installed with its
dependencies (no extras: no torch) into a new venv, runs every subcommand from a folder outside
the checkout, finding the device app, board modules, models and natmods in its own package data."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from pipdream.cli import NEEDS_TORCH, command_infos
from pipdream.deploy import mip
from support import REPO


def _run(cmd: list, cwd: Path, env: dict, timeout: float = 600) -> subprocess.CompletedProcess:
    r = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True,
                       timeout=timeout)
    assert r.returncode == 0, f"{' '.join(map(str, cmd))} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}"
    return r


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, Path, dict]:
    """(the venv's pipdream, a working folder outside the checkout, the environment)."""
    tmp = tmp_path_factory.mktemp("wheel")
    had_build = (REPO / "build").exists()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIPDREAM_", "VIRTUAL_ENV"))}
    env["XDG_CACHE_HOME"] = str(tmp / "cache")  # the install's writable space, not ~/.cache
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", tmp / "dist", REPO], tmp, env)
    assert had_build or not (REPO / "build").exists(), "building the wheel left build/ in the checkout"
    (wheel,) = (tmp / "dist").glob("pipdream-*.whl")
    _run([shutil.which("python3") or sys.executable, "-m", "venv", tmp / "venv"], tmp, env)
    py = tmp / "venv" / "bin" / "python"
    _run([py, "-m", "pip", "install", "-q", wheel], tmp, env, timeout=1200)
    work = tmp / "user"
    work.mkdir()
    return tmp / "venv" / "bin" / "pipdream", work, {**env, "PATH": f"{py.parent}:{env['PATH']}"}


def test_the_wheel_carries_the_app_the_boards_the_models_and_the_natmods(installed):
    (wheel,) = installed[1].parent.glob("dist/pipdream-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    data = "pipdream/_data/"
    for path in ("device/main.py", "boards/board_pico.py", "boards/atmega328p/Makefile",
                 "models/default.blob", "models/fast.blob", "natmod/dist/armv6m_6.3/pipnet.mpy",
                 "natmod/kernels/pd_conv.c", "package.json",
                 *(f"package-{b.name}.json" for b in mip.mip_boards())):  # every board's (hatch_build.py)
        assert data + path in names, path
    assert not [n for n in names if "/build/" in n or "__pycache__" in n]  # build output never ships


def test_the_base_install_has_no_torch(installed):
    py = installed[0].with_name("python")
    r = subprocess.run([py, "-c", "import torch"], capture_output=True, text=True)
    assert r.returncode != 0 and "No module named 'torch'" in r.stderr


def test_every_subcommands_help_works(installed):
    pipdream, work, env = installed
    for info in command_infos():
        out = _run([pipdream, info.name, "--help"], work, env, timeout=120).stdout
        assert out.startswith(f"usage: pipdream {info.name}"), info.name


def test_a_command_that_needs_torch_says_which_extra_in_one_line(installed):
    pipdream, work, env = installed
    r = subprocess.run([pipdream, "train", "--out", "run.pt"], cwd=work, env=env, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 2 and r.stderr == f"pipdream train: error: {NEEDS_TORCH}\n"
    assert "pipdream[train]" in NEEDS_TORCH


def test_the_die_runs_from_outside_the_checkout(installed):
    pipdream, work, env = installed
    blob = _run([pipdream.with_name("python"), "-c", "from pipdream import paths; print(paths.MODELS)"],
                work, env).stdout.strip()
    assert not blob.startswith(str(REPO)), blob  # the installed data, not the checkout's
    blob = Path(blob) / "default.blob"
    assert "plan stream" in _run([pipdream, "inspect", blob], work, env).stdout
    _run([pipdream, "generate", "--blob", blob, "--face", "3", "--angle", "10", "--out", "g.png"], work, env)
    assert (work / "g.png").stat().st_size > 0
    _run([pipdream, "deploy", "--board", "pico", "--stage", "stage"], work, env)
    staged = {p.name for p in (work / "stage").iterdir()}
    assert {"main.py", "pdboard.mpy", "pipnet.mpy", "model.blob"} <= staged
    out = _run([pipdream, "demo", "--rolls", "1"], work, env).stdout
    assert "roll 1: face" in out and "backend natmod" in out


def test_evaluate_runs_a_blob_without_torch(installed):
    pipdream, work, env = installed
    blob = Path(_run([pipdream.with_name("python"), "-c", "from pipdream import paths; print(paths.MODELS)"],
                     work, env).stdout.strip()) / "default.blob"
    out = _run([pipdream, "evaluate", "--blob", blob, "--n", "60", "--json"], work, env).stdout
    assert '"accuracy"' in out and '"legible"' in out


@pytest.mark.skipif(not (shutil.which("avr-gcc") and shutil.which("simavr")),
                    reason="needs avr-gcc and simavr")
def test_avr_sim_builds_the_shipped_firmware_sources(installed):
    pipdream, work, env = installed
    out = _run([pipdream, "avr-sim", "--rolls", "1", "--out", "avr"], work, env, timeout=900).stdout
    assert "all match reference" in out and "display ok vs reference" in out
