"""mip: `mpremote mip install --target / ./package-<board>.json` from a clone installs a whole die
for that board (the app, its board module as pdboard.py, the natmod for its architecture, the
model); `./package.json` installs the app with every MicroPython board module and no natmod."""

from __future__ import annotations

import json
from pathlib import Path

from pipdream import deploy as D
from pipdream.deploy import mip
from pipdream.deploy.compile import MpyAbi
from support import REPO
from support.emulator import board, mpremote  # noqa: F401 - fixtures

REGENERATE = "python -c 'from pipdream.deploy import write_mip_packages; write_mip_packages()'"


def _urls(path: Path) -> dict[str, str]:
    return dict(json.loads(path.read_text())["urls"])


def _mip(port: str, package: Path) -> str:
    """`mpremote mip install --target / PACKAGE`: what it printed (it ends with "Done")."""
    return mpremote(port, "mip", "install", "--target", "/", str(package), timeout=120).stdout


def test_the_package_files_are_current_and_every_url_resolves_from_the_clone():
    for name, text in D.mip_packages().items():
        assert (REPO / name).read_text() == text, f"{name} is stale: regenerate it with {REGENERATE}"
        pkg = json.loads(text)
        targets = [t for t, _ in pkg["urls"]]
        assert len(targets) == len(set(targets)), name
        assert "main.py" in targets and "model.blob" in targets, name
        assert "pdboard_circuitpython.py" not in targets, name  # CircuitPython's machine layer
        for _, url in pkg["urls"]:
            assert (REPO / url).is_file(), (name, url)  # relative URLs: the clone's root


def test_each_boards_package_is_a_whole_die_for_that_board():
    names = [b.name for b in D.mip_boards()]  # every MicroPython board module, not cp_pico: no mip there
    assert names == [n for n in D.known_boards() if not D.board_module(n).circuitpython] and "pico2" in names
    for b in D.mip_boards():
        urls = _urls(D.package_file(b.name))
        assert urls["pdboard.py"] == f"boards/board_{b.name}.py"
        natmod = D.natmod_artifact(b.natmod_arch)
        if natmod is None:  # xtensawin: not built here (docs/natmod.md): the app runs viper
            assert "pipnet.mpy" not in urls
        else:
            assert MpyAbi.from_mpy((REPO / urls["pipnet.mpy"]).read_bytes()).arch == b.natmod_arch


def test_the_pico_package_installs_as_written_and_the_app_finds_its_board(board):  # noqa: F811
    out = _mip(board.path, REPO / "package-pico.json")
    assert out.rstrip().endswith("Done")
    for target, url in _urls(REPO / "package-pico.json").items():
        assert (board.root / target).read_bytes() == (REPO / url).read_bytes(), target
    # The emulated Pico runs x64 code: the armv6m natmod is refused by its arch and viper runs,
    # as the app falls back on any board whose natmod does not load.
    said = mpremote(board.path, "exec", "import pdapp; pdapp.App(pdapp.find_board()).start()").stdout
    assert "pipdream: model model.blob" in said and "backend viper" in said, said
    assert "no board module" not in said and "Traceback" not in said


def test_a_package_for_the_boards_architecture_runs_the_natmod(board, tmp_path):  # noqa: F811
    """The same package with the emulated board's architecture (x64), in a folder laid out as
    the clone: after mip, the app's backend is the natmod."""
    clone = tmp_path / "clone"
    clone.mkdir()
    for folder in ("device", "boards", "models", "natmod"):
        (clone / folder).symlink_to(REPO / folder)
    pico = D.board_module("pico")
    (clone / "package-pico.json").write_text(mip.package_text(D.mip_package(pico, arch="x64")))
    out = _mip(board.path, clone / "package-pico.json")
    assert out.rstrip().endswith("Done")
    assert MpyAbi.from_mpy((board.root / "pipnet.mpy").read_bytes()).arch == "x64"
    said = mpremote(board.path, "exec", "import pdapp; pdapp.App(pdapp.find_board()).start()").stdout
    assert "backend natmod" in said and "Traceback" not in said, said


def test_package_json_installs_the_app_and_every_board_module(board):  # noqa: F811
    out = _mip(board.path, REPO / "package.json")
    assert out.rstrip().endswith("Done")
    for target, url in _urls(REPO / "package.json").items():
        assert (board.root / target).read_bytes() == (REPO / url).read_bytes(), target
    assert {f"board_{b.name}.py" for b in D.mip_boards()} <= {p.name for p in board.root.iterdir()}


def test_deploy_after_mip_replaces_the_sources_with_compiled_modules(board):  # noqa: F811
    _mip(board.path, REPO / "package-pico.json")
    report = D.deploy(D.board_module("pico"), board.path, arch="x64", watch=30, until="display found",
                      log=lambda s: None)
    # pdapp.py would be imported before pdapp.mpy: every shadowing source is gone
    assert "pdapp.py" in report.removed and not (board.root / "pdapp.py").exists()
    assert (board.root / "pdapp.mpy").exists() and (board.root / "main.py").exists()
    assert "model.blob" in report.unchanged  # mip put the same model there
    assert "backend natmod" in report.output
