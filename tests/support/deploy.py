"""Deploying to a staged folder (`pipdream deploy --stage`) for the deploy tests: a staged app, and
a deploy the CLI must refuse with one line, leaving the staged folder as it was."""

from __future__ import annotations

from pathlib import Path

import pytest
from pipdream.cli import main


def staged_files(stage: Path) -> dict[str, bytes]:
    """The staged folder's files, name -> bytes."""
    return {p.name: p.read_bytes() for p in stage.iterdir()}


def stage_app(stage: Path, board: str = "pico") -> None:
    """Deploy the app for `board` (its sources, not compiled) to the folder `stage`."""
    assert main(["deploy", "--board", board, "--stage", str(stage), "--no-compile"]) == 0


def refused_deploy(stage: Path, model: Path, capsys: pytest.CaptureFixture[str], board: str = "pico") -> str:
    """Deploy `model` to `stage`, which must be refused: exit 2, one line on stderr and no traceback,
    the staged files as they were. Returns the line."""
    before = staged_files(stage)
    capsys.readouterr()
    assert main(["deploy", "--board", board, "--stage", str(stage), "--model", str(model)]) == 2, model
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, (model, err)
    assert staged_files(stage) == before, model
    return err
