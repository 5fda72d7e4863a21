"""pipdream deploy --stage: exactly the files a board gets, written into a folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from pipdream import deploy as D
from pipdream.cli import main


def mpy_header(path: Path) -> D.MpyAbi:
    return D.MpyAbi.from_mpy(path.read_bytes())


def test_a_pico_stage_has_the_app_compiled_the_board_module_the_natmod_and_the_model(tmp_path, capsys):
    assert main(["deploy", "--board", "pico", "--stage", str(tmp_path)]) == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    # every device module but CircuitPython's machine layer, which a MicroPython board never imports
    device = sorted(p.name for p in D.DEVICE.glob("*.py") if p.name != "pdboard_circuitpython.py")
    assert "pdboard_micropython.mpy" in names and "pdboard_circuitpython.mpy" not in names
    source = {"main.py", "pdsettings.py"}  # the firmware runs main.py; people edit pdsettings.py
    expect = {n if n in source else n[:-3] + ".mpy" for n in device} | {"pdboard.mpy", "model.blob"}
    natmod, why = D.ensure_natmod("armv6m", log=lambda s: None)
    if natmod is not None:
        expect.add("pipnet.mpy")
        assert (tmp_path / "pipnet.mpy").read_bytes() == natmod.read_bytes()
        assert mpy_header(tmp_path / "pipnet.mpy") == D.MpyAbi(6, 3, "armv6m")
    else:
        assert "no natmod" in capsys.readouterr().out, why
    assert set(names) == expect
    for name in names:
        if name.endswith(".mpy") and name != "pipnet.mpy":
            assert mpy_header(tmp_path / name).version == 6, name
    assert (tmp_path / "main.py").read_bytes() == (D.DEVICE / "main.py").read_bytes()
    assert (tmp_path / "model.blob").read_bytes() == D.DEFAULT_MODEL.read_bytes()
    # The board module is compiled under the name the app imports, with its own line numbers.
    assert D.compile_mpy(D.board_module("pico").path, "pdboard.py", "armv6m") == \
        (tmp_path / "pdboard.mpy").read_bytes()


def test_viper_code_is_compiled_for_the_boards_architecture(tmp_path):
    items = {it.name: it for it in D.build_plan(D.board_module("pico"), "armv6m")}
    viper = [n for n, it in items.items() if n.endswith(".mpy") and D.MpyAbi.from_mpy(it.data).arch]
    assert viper, "no module with native (viper) code"
    for name in viper:
        assert D.MpyAbi.from_mpy(items[name].data) == D.MpyAbi(6, 3, "armv6m"), name
        assert (D.DEVICE / name.replace(".mpy", ".py")).read_text().count("@micropython.viper")


def test_staging_again_writes_nothing_and_removes_a_shadowing_source(tmp_path):
    pico = D.board_module("pico")
    items = D.build_plan(pico, "armv6m")
    assert D.write_stage(items, tmp_path, log=lambda s: None)
    (tmp_path / "pdapp.py").write_text("print('an old copy that would be imported instead')\n")
    removed: list[str] = []
    assert D.write_stage(items, tmp_path, log=removed.append) == []
    assert not (tmp_path / "pdapp.py").exists() and any("pdapp.py" in m for m in removed)


def test_a_circuitpython_stage_is_source_with_code_py_and_no_natmod(tmp_path):
    items = D.plan_for(D.board_module("cp_pico"), None, use_natmod=True, model=D.DEFAULT_MODEL,
                       compile_py=True, log=lambda s: None)
    names = {it.name for it in items}
    assert "code.py" in names and "main.py" not in names and "pdboard.py" in names
    assert not [n for n in names if n.endswith(".mpy")]


def test_an_unknown_board_or_missing_model_is_one_clear_line(tmp_path, capsys):
    assert main(["deploy", "--board", "nosuch", "--stage", str(tmp_path)]) == 2
    assert "unknown board 'nosuch': boards/ has " in capsys.readouterr().err
    assert main(["deploy", "--board", "pico", "--stage", str(tmp_path), "--model", str(tmp_path / "x")]) == 2
    assert "model blob" in capsys.readouterr().err and not list(tmp_path.iterdir())


@pytest.mark.parametrize("value, abi", [(2822, D.MpyAbi(6, 3, "x64")), (0x1306, D.MpyAbi(6, 3, "armv6m")),
                                        (0x2B06, D.MpyAbi(6, 3, "xtensawin")), (6, D.MpyAbi(6, 0, None)),
                                        (77574, D.MpyAbi(6, 3, "rv32imc"))])  # 1.29's VIRT_RV32: flags
def test_sys_implementation_mpy_decodes_version_and_architecture(value, abi):
    assert D.MpyAbi.from_sys(value) == abi


def test_an_mpy_header_with_architecture_flags_decodes_to_its_architecture():
    header = b"M\x06" + bytes([0x40 | 11 << 2 | 3]) + b"\x1f\x01"  # 0x40: flags follow
    assert D.MpyAbi.from_mpy(header) == D.MpyAbi(6, 3, "rv32imc")


# ---- the ESP32-C3's natmod (rv32imc) -------------------------------------------------------


def test_an_esp32c3_stage_ships_the_rv32imc_natmod(tmp_path, capsys):
    assert main(["deploy", "--board", "esp32c3", "--stage", str(tmp_path)]) == 0
    assert "no natmod" not in capsys.readouterr().out
    assert mpy_header(tmp_path / "pipnet.mpy") == D.MpyAbi(6, 3, "rv32imc")
    natmod, why = D.ensure_natmod("rv32imc", log=lambda s: None)  # natmod/dist/rv32imc_6.3's while current
    assert natmod is not None, why
    assert (tmp_path / "pipnet.mpy").read_bytes() == natmod.read_bytes()


def test_a_stale_rv32imc_natmod_is_rebuilt_against_the_newer_natmod_kit(monkeypatch):
    """1.23's build files (the Makefile's default) lack rv32imc: the rebuild uses the 1.29 kit."""
    from pipdream.deploy import compile as C

    if C.natmod_kit() is None:
        pytest.skip(f"no MicroPython 1.29 natmod kit (set {C.NATMOD_KIT_ENV} to one)")
    monkeypatch.delenv("MPY_DIR", raising=False)
    monkeypatch.setattr(C, "_natmod_current", lambda artifact: False)
    said: list[str] = []
    path, why = C.ensure_natmod("rv32imc", log=said.append)
    assert path == C.NATMOD / "build" / "rv32imc" / "pipnet.mpy", why
    kit = C.natmod_kit()
    assert said == [f"building the rv32imc natmod: make -C natmod build ARCH=rv32imc MPY_DIR={kit}"]
    assert D.MpyAbi.from_mpy(path.read_bytes()) == D.MpyAbi(6, 3, "rv32imc")


def test_without_a_newer_micropython_tree_the_rv32imc_natmod_is_refused_with_the_fix(monkeypatch, tmp_path):
    from pipdream.deploy import compile as C

    monkeypatch.delenv("MPY_DIR", raising=False)
    monkeypatch.setenv(C.NATMOD_KIT_ENV, str(tmp_path / "no-kit"))
    monkeypatch.setattr(C, "_natmod_current", lambda artifact: False)
    assert C.ensure_natmod("rv32imc", log=lambda s: None) == (
        None, "MicroPython 1.23's natmod build files cannot build rv32imc: set MPY_DIR to a "
              "MicroPython >= 1.25 checkout (docs/natmod.md)")
