"""Deploy never ships a model the board cannot load: on every path (a folder, a port, the mip
package) the blob passes the board's checks (header, CRC, layer table, the die's shape, the
streaming scratch within SCRATCH_BUDGET) before anything is written, or nothing is."""

from __future__ import annotations

import dataclasses

import pytest
from pipdream import deploy as D
from pipdream.cli import CommandError, main
from pipdream.deploy import mip
from support.deploy import refused_deploy, stage_app


def bad_models(tmp_path, shipped_blob):
    """name -> (path, what the one-line error says)"""
    cases = {
        "torn": (shipped_blob[:3000], "declares 5404 bytes but the blob has 3000"),
        "bit flip": (shipped_blob[:-1] + bytes([shipped_blob[-1] ^ 1]), "crc32"),
        "text": (b"hello, not a model\n", "is a text file, not a model blob"),
        "empty": (b"", "truncated: 0 bytes"),
    }
    out = {}
    for name, (data, message) in cases.items():
        path = tmp_path / f"{name.replace(' ', '_')}.blob"
        path.write_bytes(data)
        out[name] = (path, message)
    folder = tmp_path / "folder.blob"
    folder.mkdir()
    out["folder"] = (folder, "is a directory, not a model blob")
    out["missing"] = (tmp_path / "nope.blob", "model blob not found")
    return out


def test_a_stage_refuses_a_bad_model_and_keeps_its_previous_one(tmp_path, capsys, shipped_blob):
    stage = tmp_path / "stage"
    stage_app(stage)
    for name, (model, message) in bad_models(tmp_path, shipped_blob).items():
        err = refused_deploy(stage, model, capsys)  # and the staged files are as they were
        assert message in err, (name, err)


def test_a_new_stage_is_not_even_created_for_a_bad_model(tmp_path, capsys, shipped_blob):
    torn, _ = bad_models(tmp_path, shipped_blob)["torn"]
    assert main(["deploy", "--board", "esp32", "--stage", str(tmp_path / "new"), "--model", str(torn)]) == 2
    assert not (tmp_path / "new").exists()


def test_a_port_deploy_refuses_a_bad_model_before_it_touches_the_board(tmp_path, shipped_blob):
    # The port does not exist: reaching it would say "no board on"; the model is refused first.
    for model, message in bad_models(tmp_path, shipped_blob).values():
        with pytest.raises(CommandError, match=message):
            D.deploy(D.board_module("pico"), str(tmp_path / "ttyNONE"), model=model, log=lambda s: None)


def test_a_model_over_the_boards_scratch_budget_is_refused(tmp_path):
    tiny = dataclasses.replace(D.board_module("pico"), constants={"SCRATCH_BUDGET": 1000})
    with pytest.raises(CommandError, match=r"needs 1407 bytes of scratch .* SCRATCH_BUDGET = 1000"):
        D.plan_for(tiny, "armv6m", use_natmod=False, model=D.DEFAULT_MODEL, compile_py=False)
    assert D.check_model(D.DEFAULT_MODEL, D.board_module("pico")) == D.DEFAULT_MODEL.read_bytes()


def test_the_mip_package_is_not_written_around_a_bad_model(tmp_path, monkeypatch, shipped_blob):
    torn, _ = bad_models(tmp_path, shipped_blob)["torn"]
    monkeypatch.setattr(mip, "DEFAULT_MODEL", torn)  # the model the packages ship
    with pytest.raises(CommandError, match="declares 5404 bytes"):
        D.write_mip_packages(tmp_path)
    assert not list(tmp_path.glob("*package*"))


def test_an_unknown_architecture_is_refused_by_name(tmp_path, capsys):
    assert main(["deploy", "--board", "pico", "--stage", str(tmp_path / "s"), "--arch", "bogus"]) == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'bogus'" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "s").exists()
