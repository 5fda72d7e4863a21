"""mip packages: `mpremote mip install --target / <package file>` puts a whole die on a MicroPython board.

- package-<board>.json, one per MicroPython board module (boards/board_<board>.py): the app as
  source, that board's module as pdboard.py, pipnet.mpy for the board's NATMOD_ARCH (when
  natmod/dist has one: no xtensawin build here, so the ESP32's die runs viper) and the model;
- package.json: the app, every MicroPython board module under its own name (the app picks one by
  sys.platform) and the model, without a natmod (the app runs viper).

URLs are relative to the package file, which sits beside device/, boards/, models/ and natmod/
(the repository's root, and the installed wheel's pipdream/_data): `./package-pico.json` from a
clone, `github:<you>/pipdream/package-pico.json` from a fork on GitHub.

    write_mip_packages()                 # every package file, after a device/ or natmod/dist change
    mip_package(board_module("pico"))    # one board's {"version", "urls", "deps"}
"""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path

from pipdream import files, paths
from pipdream.deploy.compile import NATMOD_NAME, natmod_artifact
from pipdream.deploy.plan import (
    BOARD_MODULE_NAME,
    DEFAULT_MODEL,
    BoardModule,
    app_sources,
    board_module,
    check_model,
    device_setting,
    known_boards,
)

MIP_DIR = paths.DATA  # where the package files are: their URLs are relative to it
PACKAGE_JSON = MIP_DIR / "package.json"


def package_file(board: str) -> Path:
    return MIP_DIR / f"package-{board}.json"


def mip_boards() -> list[BoardModule]:
    """The board modules mip can install for (mip is MicroPython's: not the CircuitPython ones)."""
    return [b for b in map(board_module, known_boards()) if not b.circuitpython]


def _url(path: Path) -> str:
    return path.relative_to(MIP_DIR).as_posix()


def _model_urls(boards: list[BoardModule]) -> list[list[str]]:
    for board in boards:  # the package must hold a model every board it serves can load
        check_model(DEFAULT_MODEL, board)
    return [[str(device_setting("MODEL_PATH")).lstrip("/"), _url(DEFAULT_MODEL)]]


def _package(urls: list[list[str]]) -> dict:
    return {"version": metadata.version("pipdream"), "urls": urls, "deps": []}


def mip_package(board: BoardModule, arch: str | None = None) -> dict:
    """The die for one board: the app, board_<name>.py as pdboard.py, the natmod for `arch`
    (default: the board's NATMOD_ARCH) when natmod/dist has it, and the model."""
    urls = [[p.name, _url(p)] for p in app_sources(board)]
    urls.append([BOARD_MODULE_NAME + ".py", _url(board.path)])
    natmod = natmod_artifact(arch or board.natmod_arch) if (arch or board.natmod_arch) else None
    if natmod is not None:
        urls.append([NATMOD_NAME, _url(natmod)])
    return _package(urls + _model_urls([board]))


def mip_package_any() -> dict:
    """package.json: the app and every MicroPython board module under its own name, no natmod."""
    boards = mip_boards()
    urls = [[p.name, _url(p)] for p in app_sources(boards[0])]
    urls += [[b.path.name, _url(b.path)] for b in boards]
    return _package(urls + _model_urls(boards))


def package_text(pkg: dict) -> str:
    """A package file's text: one [board path, URL] pair a line."""
    urls = ",\n".join(f"    {json.dumps(u)}" for u in pkg["urls"])
    return f'{{\n  "version": {json.dumps(pkg["version"])},\n  "urls": [\n{urls}\n  ],\n  "deps": []\n}}\n'


def mip_packages() -> dict[str, str]:
    """Every package file's name and text (each checked: a model its boards cannot load is refused)."""
    out = {PACKAGE_JSON.name: package_text(mip_package_any())}
    for board in mip_boards():
        out[package_file(board.name).name] = package_text(mip_package(board))
    return out


def write_mip_packages(directory: Path = MIP_DIR) -> list[Path]:
    """Write every package file into `directory` (default: beside the folders its URLs name),
    nothing at all when one of them cannot be made."""
    texts = mip_packages()
    for name, text in texts.items():
        files.write_text(directory / name, text)
    return [directory / name for name in texts]


write_mip_package = write_mip_packages  # the name the developers' notes use
