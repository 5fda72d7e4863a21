"""The die and its heap, on the simulated board (the real MicroPython unix runtime with the
board's heap): deploy refuses a model the board cannot hold before anything is copied, naming
the figure that is over; the app refuses one at load with one line, before the model it has is
dropped; a model it can hold runs with pictures (the stream plan where the full one does not
fit) at every heap size from the least the app runs in; a model that is not the 32x32 die of
N_FACES faces is refused at load by name."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from conftest import heavy_model
from pipdream import boards, plan
from pipdream import deploy as D
from pipdream.blob import QModel, load, pack
from pipdream.blob import format as F
from pipdream.blob.synthetic import random_layer
from pipdream.cli import CommandError
from pipdream.sim import stage
from pipdream.sim.runner import run_board
from pipdream.sim.world import BOARDS, Script
from support.deploy import refused_deploy, stage_app

SIMULATED = tuple(BOARDS)  # every MicroPython board module


@pytest.fixture(scope="module")
def heavy(tmp_path_factory):
    path = tmp_path_factory.mktemp("heavy") / "heavy.blob"
    path.write_bytes(pack(heavy_model()))
    return path


# ---- deploy --------------------------------------------------------------------------------------

def test_the_heavy_blob_is_refused_for_the_pico_and_the_stage_keeps_its_model(tmp_path, capsys, heavy):
    stage_dir = tmp_path / "CIRCUITPY"
    stage_app(stage_dir)
    err = refused_deploy(stage_dir, heavy, capsys)  # and the staged files are as they were
    pico = D.board_module("pico")
    natmod = boards.natmod_heap(pico)  # the armv6m pipnet.mpy's size + NATMOD_HEAP_EXTRA
    assert natmod == D.natmod_artifact("armv6m").stat().st_size + 1024
    room = 233_472 - 104_448 - natmod
    assert f"the blob alone ({heavy.stat().st_size:,} bytes) is over the {room:,} bytes" in err, err
    assert f"HEAP_BYTES 233,472 - APP_HEAP 104,448 - the natmod's code {natmod:,}" in err


def test_a_port_deploy_refuses_the_heavy_blob_before_it_touches_the_board(tmp_path, heavy):
    with pytest.raises(CommandError, match="does not fit the pico: the blob alone"):
        D.deploy(D.board_module("pico"), str(tmp_path / "ttyNONE"), model=heavy, log=lambda s: None)


def test_a_blob_that_fits_but_not_with_its_scratch_names_the_scratch(tmp_path):
    from pipdream.deploy.plan import app_plan

    pico = D.board_module("pico")
    blob = D.DEFAULT_MODEL.stat().st_size
    stream = plan.plan(load(D.DEFAULT_MODEL.read_bytes()), plan.STREAM).scratch_bytes
    app = 104_448 + boards.natmod_heap(pico)
    tight = dataclasses.replace(pico, constants={**pico.constants, "HEAP_BYTES": app + blob + stream - 1})
    said = (rf"the blob \({blob:,} bytes\) and the stream plan's scratch \({stream:,} bytes\) are over "
            rf"the {blob + stream - 1:,} bytes .* by 1 ")
    with pytest.raises(CommandError, match=said):
        D.check_model(D.DEFAULT_MODEL, tight)
    roomy = dataclasses.replace(pico, constants={**pico.constants, "HEAP_BYTES": app + blob + stream})
    assert D.check_model(D.DEFAULT_MODEL, roomy) == D.DEFAULT_MODEL.read_bytes()
    assert app_plan(load(D.DEFAULT_MODEL.read_bytes()), blob, roomy) == ("stream", stream)
    assert app_plan(load(D.DEFAULT_MODEL.read_bytes()), blob, pico)[0] == "full"


# ---- the app on the simulated board ---------------------------------------------------------------

def console(tmp_path, board="pico", heap=None, model=D.DEFAULT_MODEL, compile_py=True, code=None,
            files=None) -> list[str]:
    root = stage.stage_root(tmp_path / "root", board=board, natmod=stage.natmod_x64(), model=model,
                            compile_py=compile_py)
    for name, data in (files or {}).items():
        (root / name).write_bytes(data)
    pin, _ = stage.button(stage.board_constants(board))
    s = Script().quiet(300, max_ms=30_000).press(pin, hold_ms=100).quiet(400, max_ms=30_000).end()
    world = stage.board_world(board, s, board_overrides={"heap": heap} if heap else {})
    if code is not None:
        return run_board(world, code=code, root=root, check=False).console
    return run_board(world, script=root / "main.py", root=root, check=False).console


def rolled_with_pictures(lines: list[str]) -> bool:
    roll = [x for x in lines if x.startswith("pipdream: roll 1: ")]
    return bool(roll) and roll[0].endswith("natmod)") and " 1 frames" not in roll[0] and \
        not any("no model" in x or "roll failed" in x for x in lines)


@pytest.mark.parametrize("board", SIMULATED)
def test_the_app_heap_stated_by_the_board_module_is_enough_for_the_shipped_model(tmp_path, board):
    """APP_HEAP is measured: at APP_HEAP + the shipped blob + its stream scratch the app rolls."""
    c = D.board_module(board).constants
    blob = D.DEFAULT_MODEL.read_bytes()
    heap = c["APP_HEAP"] + len(blob) + plan.plan(load(blob), plan.STREAM).scratch_bytes
    lines = console(tmp_path, board, heap=heap)
    assert rolled_with_pictures(lines), lines


# what deploy ships (.mpy) and what a mip install gives (source, compiled on the board)
HEAPS = [("mpy", kib) for kib in range(108, 201, 4)] + [("source", kib) for kib in range(108, 201, 4)]


@pytest.mark.parametrize("kind, kib", HEAPS)
def test_the_pico_rolls_with_pictures_at_every_heap_size(tmp_path, kind, kib):
    lines = console(tmp_path, heap=kib * 1024, compile_py=kind == "mpy")
    assert rolled_with_pictures(lines), lines


def test_a_model_over_the_free_heap_is_refused_at_boot_with_one_line(tmp_path, heavy):
    lines = console(tmp_path, model=heavy)
    said = [x for x in lines if x.startswith("pipdream: no model")]
    assert len(said) == 1 and f"model.blob ({heavy.stat().st_size} bytes) is over the " in said[0], lines
    assert "bytes of heap free for a model" in said[0]
    assert any(x.startswith("pipdream: roll 1: ") for x in lines), lines  # the die rolls on


RELOAD = """
import os, pdapp
app = pdapp.App(pdapp.find_board())
app.start()
os.rename("model.blob", "old.blob")
os.rename("new.blob", "model.blob")
print("reload", app.load_model(), app.model is not None)
rec = app.roll()
print("frames", rec["frames"], rec["backend"])
"""


def test_a_model_too_big_for_the_heap_is_refused_before_the_loaded_one_is_dropped(tmp_path, heavy):
    lines = console(tmp_path, code=RELOAD, files={"new.blob": heavy.read_bytes()})
    assert any(x.startswith("pipdream: model not changed: model.blob (") for x in lines), lines
    assert "reload False True" in lines, lines
    frames = [x for x in lines if x.startswith("frames ")]
    assert frames and frames[0].endswith(" natmod") and frames[0] != "frames 1 natmod", lines


def not_a_die(kind: str) -> bytes:
    rng = np.random.default_rng(3)
    u8 = F.DTYPE_UINT8
    if kind == "2x2":
        return pack(QModel([random_layer(rng, F.KIND_FC, (F.N_FACES + 1, 1, 1), (1, 2, 2), F.DTYPE_INT8)]))
    faces = 32 if kind == "32 faces" else F.N_FACES
    layers = [random_layer(rng, F.KIND_FC, (faces + 1, 1, 1), (4, 8, 8), F.DTYPE_INT8),
              random_layer(rng, F.KIND_CONVT, (4, 8, 8), (4, 16, 16), u8, 4, 2, 1, 0),
              random_layer(rng, F.KIND_CONVT, (4, 16, 16), (1 if kind == "32 faces" else 4, 32, 32), u8,
                           4, 2, 1, 0)]
    if kind == "64x64":
        layers.append(random_layer(rng, F.KIND_CONVT, (4, 32, 32), (1, 64, 64), u8, 4, 2, 1, 0))
    return pack(QModel(layers, n_faces=faces) if kind == "32 faces" else QModel(layers))


@pytest.mark.parametrize("kind, says", [("2x2", "it draws 6 faces at 2x2"),
                                        ("64x64", "it draws 6 faces at 64x64"),
                                        ("32 faces", "it draws 32 faces at 32x32")])
def test_a_model_that_is_not_the_32x32_die_is_refused_at_load_with_one_line(tmp_path, kind, says):
    path = tmp_path / f"{kind.replace(' ', '_')}.blob"
    path.write_bytes(not_a_die(kind))
    root = stage.stage_root(tmp_path / "root", natmod=stage.natmod_x64())
    (root / "model.blob").write_bytes(path.read_bytes())  # copied by hand: deploy would refuse it
    pin, _ = stage.button(stage.board_constants("pico"))
    s = Script().quiet(300, max_ms=30_000).press(pin, hold_ms=100).quiet(400, max_ms=30_000).end()
    lines = run_board(stage.board_world("pico", s), script=root / "main.py", root=root, check=False).console
    said = [x for x in lines if x.startswith("pipdream: no model")]
    want = f"model.blob is not a die model: {says}; the die needs 6 faces at 32x32"
    assert len(said) == 1 and want in said[0], lines
    assert not any("roll failed" in x or "Traceback" in x for x in lines), lines
    assert any(x.startswith("pipdream: roll 1: ") for x in lines), lines
