"""Device code against the ports' published type stubs: pyright over device/ and boards/ with each
stub set from PyPI finds no use of an API the port lacks, except the reviewed ones below (each
guarded at run time, or a gap of the stubs themselves).

The stub sets each install machine.pyi, time.pyi, ... at the top of site-packages, so they cannot
share an environment: each is installed into its own folder under .cache/stubs (pip, from its
cache after `make setup`) and given to pyright as its stubPath. Only diagnostics about the ports'
modules are checked (the app's own dynamic attributes are not this test's business).

Known stub gaps, where the port's C source decides: the esp32 stubs list `hard` for Pin.irq,
which ports/esp32/machine_pin.c rejects (tests/test_sim_ports.py holds that); the rp2 stubs have
no `rp2.DMA.channel`, which ports/rp2/rp2_dma.c has.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pipdream import boards
from support.device import ROOT

STUBS = {
    "rp2": "micropython-rp2-rpi-pico-stubs",
    "esp32": "micropython-esp32-esp32-generic-stubs",
    "esp32c3": "micropython-esp32-esp32-generic-c3-stubs",
    "circuitpython": "circuitpython-stubs",
}
PORT_MODULES = ("machine|rp2|micropython|time|os|_thread|framebuf|network|board|busio|digitalio|"
                "supervisor|gc|uctypes|esp32|esp")
PORT_API = re.compile(f'module "({PORT_MODULES})"|Import "({PORT_MODULES})" could not be resolved'
                      '|for class "(Pin|I2C|SoftI2C|DMA|SPI)"|"(ptr8|ptr16|ptr32)" is not defined'
                      '|is unknown import symbol')

# (file, what pyright says, why it is not a bug)
GUARDED_CIRCUITPYTHON_ONLY = [
    ("device/pdboard_circuitpython.py", 'Import "board"', "CircuitPython's board module"),
    ("device/pdboard_circuitpython.py", 'Import "busio"', "CircuitPython's board module"),
    ("device/pdboard_circuitpython.py", 'Import "digitalio"', "CircuitPython's board module"),
    ("device/pdclock.py", 'Import "supervisor"', "after MicroPython's time.ticks_* failed to import"),
    ("device/pdclock.py", '"monotonic_ns" is not a known attribute of module "time"',
     "CircuitPython/CPython fallback, after time.ticks_* failed to import"),
]
PDI2C_NARROWING = [
    ("device/pdi2c_dma.py", 'attribute "wait" for class', "self.bus is a DmaI2C when dma_why is None"),
    ("device/pdi2c_dma.py", 'attribute "ch" for class', "self.bus is a DmaI2C when dma_why is None"),
]
KNOWN = {
    "rp2": GUARDED_CIRCUITPYTHON_ONLY + PDI2C_NARROWING + [
        ("device/pdboard_micropython.py", 'Import "network"', "only with ENTROPY_RADIO (ESP32), in try"),
        ("device/pdi2c_dma.py", 'attribute "channel" for class "DMA"', "stub gap: rp2_dma.c has DMA.channel"),
    ],
    "esp32": GUARDED_CIRCUITPYTHON_ONLY + PDI2C_NARROWING + [
        ("device/pdi2c_dma.py", 'Import "rp2"', "in try: no rp2 module means a blocking display"),
    ],
    "circuitpython": [
        ("device/pdapp.py", '"heap_lock" is not a known attribute of module "micropython"',
         "only with the HEAP_LOCK setting (off): a proof run on MicroPython"),
        ("device/pdapp.py", '"heap_unlock" is not a known attribute of module "micropython"', "as heap_lock"),
        ("device/pdboard_micropython.py", "", "MicroPython's board module: pdboard on CircuitPython is "
         "board_cp_pico, which imports pdboard_circuitpython"),
        ("device/pdi2c_dma.py", "", "imported by board_pico only"),
        ("device/ssd1306.py", "", "imported by pdboard_micropython only"),
        ("device/pdinfer_viper.py", "", "imported by pdinfer in try: CircuitPython has no viper"),
        ("device/pdview_viper.py", "", "imported by pdview in try: CircuitPython has no viper"),
        ("device/pdclock.py", "is unknown import symbol", "in try: the ImportError picks supervisor"),
    ],
}
KNOWN["esp32c3"] = KNOWN["esp32"]
_CIRCUITPYTHON = {n: boards.board_module(n).circuitpython for n in boards.known_boards()}
EXCLUDE = {  # files a port never runs: the other firmware's board modules, the AVR port
    port: [f"boards/board_{n}.py" for n, cp in _CIRCUITPYTHON.items() if cp != (port == "circuitpython")]
    + ["boards/atmega328p"] for port in STUBS}


def pyright() -> str:
    exe = shutil.which("pyright", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("pyright is not installed (pip install -e .[test])")
    return exe


def stub_dir(name: str) -> Path:
    """The stub set installed alone in .cache/stubs/<name> (pip --target, once)."""
    dest = ROOT / ".cache" / "stubs" / name
    if not (dest / ".complete").exists():
        cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--target", str(dest), STUBS[name]]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        if r.returncode:
            pytest.skip(f"cannot install {STUBS[name]} into {dest}: {r.stderr.strip()[-300:]}")
        (dest / ".complete").write_text(STUBS[name])
    return dest


def port_diagnostics(name: str, tmp: Path) -> list[tuple[str, int, str]]:
    stubs = stub_dir(name)

    def rel(p: Path) -> str:  # pyright takes only paths relative to its config's folder
        return os.path.relpath(p, tmp)

    config = {"include": [rel(ROOT / "device"), rel(ROOT / "boards")],
              "exclude": [rel(ROOT / p) for p in EXCLUDE[name]],
              "stubPath": rel(stubs), "extraPaths": [rel(ROOT / "device"), rel(ROOT / "natmod")],
              "typeCheckingMode": "off", "pythonVersion": "3.10", "reportMissingModuleSource": False,
              "reportMissingImports": "error", "reportAttributeAccessIssue": "error",
              "reportCallIssue": "error", "reportUndefinedVariable": "error"}
    (tmp / "pyrightconfig.json").write_text(json.dumps(config))
    r = subprocess.run([pyright(), "--outputjson", "-p", str(tmp)], capture_output=True, text=True,
                       timeout=600)
    try:
        report = json.loads(r.stdout)
    except json.JSONDecodeError:
        raise AssertionError(f"pyright gave no report: {r.stdout[-500:]} {r.stderr[-500:]}") from None
    assert report["summary"]["filesAnalyzed"] > 15, report["summary"]
    out = []
    for d in report["generalDiagnostics"]:
        msg = d["message"].splitlines()[0]
        if PORT_API.search(msg):
            out.append((str(Path(d["file"]).relative_to(ROOT)), d["range"]["start"]["line"] + 1, msg))
    return out


@pytest.mark.parametrize("name", list(STUBS))
def test_device_code_uses_no_api_the_port_lacks_per_its_published_stubs(name, tmp_path):
    found = port_diagnostics(name, tmp_path)
    unexplained = [f"{f}:{line}: {msg}" for f, line, msg in found
                   if not any(f == kf and km in msg for kf, km, _why in KNOWN[name])]
    assert not unexplained, (f"{STUBS[name]}: device code uses an API this port's stubs do not have; "
                             "guard it (try/except, a board constant) or, if the port's C source has it, "
                             "list the stub gap in tests/test_device_stubs.py KNOWN:\n  "
                             + "\n  ".join(unexplained))
