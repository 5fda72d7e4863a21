"""package.json: `mpremote mip install --target / github:OWNER/pipdream` (or a local checkout's
package.json) installs the app, the MicroPython board modules and the model."""

from __future__ import annotations

import json

from pipdream import deploy as D
from pipdream.paths import REPO
from support.emulator import board, mpremote  # noqa: F401 - fixtures


def test_package_json_is_current_with_the_device_app():
    assert D.PACKAGE_JSON.read_text() == D.mip_package_text(), (
        "package.json is stale: regenerate it with "
        "python -c 'from pipdream.deploy import write_mip_package; write_mip_package()'")
    pkg = json.loads(D.PACKAGE_JSON.read_text())
    targets = [t for t, _ in pkg["urls"]]
    assert len(targets) == len(set(targets))
    assert {f"device/{p.name}" for p in D.DEVICE.glob("*.py")} <= {u for _, u in pkg["urls"]}
    assert "board_pico.py" in targets and "model.blob" in targets and "main.py" in targets
    for _, url in pkg["urls"]:
        assert (REPO / url).is_file(), url  # relative URLs resolve against the repository root


def test_mip_installs_the_app_from_a_local_checkout_and_it_starts(board):  # noqa: F811
    out = mpremote(board.path, "mip", "install", "--target", "/", str(D.PACKAGE_JSON), timeout=120).stdout
    assert out.rstrip().endswith("Done")
    for target, url in json.loads(D.PACKAGE_JSON.read_text())["urls"]:
        assert (board.root / target).read_bytes() == (REPO / url).read_bytes(), target
    # The emulated board is the unix port (sys.platform "linux"), so it names its board module
    # the way `pipdream deploy` does; a real Pico finds board_pico.py by itself.
    mpremote(board.path, "cp", str(REPO / "boards" / "board_pico.py"), ":pdboard.py")
    said = mpremote(board.path, "exec", "import pdapp; pdapp.App(pdapp.find_board()).start()").stdout
    assert "pipdream: model model.blob" in said and "backend viper" in said and "Traceback" not in said


def test_deploy_after_mip_replaces_the_sources_with_compiled_modules(board):  # noqa: F811
    mpremote(board.path, "mip", "install", "--target", "/", str(D.PACKAGE_JSON), timeout=120)
    report = D.deploy(D.board_module("pico"), board.path, arch="x64", watch=30, until="display found",
                      log=lambda s: None)
    # pdapp.py would be imported before pdapp.mpy: every shadowing source is gone
    assert "pdapp.py" in report.removed and not (board.root / "pdapp.py").exists()
    assert (board.root / "pdapp.mpy").exists() and (board.root / "main.py").exists()
    assert "model.blob" in report.unchanged  # mip put the same model there
    assert "backend natmod" in report.output
