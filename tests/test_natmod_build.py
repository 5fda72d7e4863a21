"""Building the pipnet natmod: the ARM targets link (mpy_ld accepts them), every
.mpy says its architecture in its header, the committed artifacts in natmod/dist/
come from the current sources, and a bad MPY_DIR is a clear error."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import default_arch_model
from pipdream import micropython as mpy
from pipdream import reference
from pipdream.blob import pack

DIST = mpy.NATMOD_DIR / "dist"
# MP_NATIVE_ARCH_* of MicroPython's py/persistentcode.h
ARCH_CODES = {"x64": 2, "armv6m": 4, "armv7m": 5, "armv7emsp": 7, "xtensawin": 10}


def mpy_header(path: Path) -> tuple[int, int, int]:
    """(.mpy version, sub-version, native architecture) from a .mpy file's first bytes."""
    data = path.read_bytes()
    assert data[:1] == b"M", f"{path} is not a .mpy file"
    return data[1], data[2] & 3, data[2] >> 2


@pytest.mark.parametrize("arch", ["armv6m", "armv7m", "armv7emsp"])
def test_arm_builds_link_into_a_native_mpy_for_their_architecture(arch):
    path = mpy.natmod_mpy(arch)
    assert mpy_header(path) == (6, 3, ARCH_CODES[arch])
    assert path.stat().st_size > 4000  # the kernels are in it, not just the binding


def test_the_x64_build_is_the_unix_runtimes_mpy_version_and_architecture():
    version = int(mpy.run("import sys\nprint(sys.implementation._mpy)"))
    assert mpy_header(mpy.natmod_mpy("x64")) == (version & 0xFF, version >> 8 & 3, version >> 10)


def test_a_missing_micropython_checkout_is_a_clear_error(tmp_path):
    proc = subprocess.run(["make", "-C", str(mpy.NATMOD_DIR), "build", f"MPY_DIR={tmp_path}/none",
                           f"PYTHON={sys.executable}"], capture_output=True, text=True)
    assert proc.returncode != 0
    assert "is not a MicroPython checkout: no py/dynruntime.mk there" in proc.stderr


# ---- committed artifacts ---------------------------------------------------------------


def dist_dirs() -> list[Path]:
    return sorted(p for p in DIST.glob("*_*") if (p / "pipnet.mpy").exists())


def test_the_x64_and_armv6m_artifacts_are_committed():
    assert {p.name for p in dist_dirs()} >= {"x64_6.3", "armv6m_6.3"}


@pytest.mark.parametrize("dist", dist_dirs(), ids=lambda p: p.name)
def test_each_artifact_was_built_from_the_current_sources(dist):
    """pipnet.inputs.sha256 lists the sources a dist .mpy was built from; after any
    change to them, `make -C natmod dist` rebuilds the artifacts."""
    listed = {}
    for line in (dist / "pipnet.inputs.sha256").read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        listed[name] = digest
    root = mpy.NATMOD_DIR
    patterns = ("*.c", "*.h", "kernels/*.c", "kernels/*.h", "kernels/armv6m/*.c", "kernels/armv6m/*.S")
    current = {str(p.relative_to(root)) for pattern in patterns
               for p in root.glob(pattern)} | {"pipnet.mk", "libgcc_rt.sh"}
    stale = sorted(name for name in current | set(listed)
                   if name not in listed or not (root / name).exists()
                   or hashlib.sha256((root / name).read_bytes()).hexdigest() != listed[name])
    assert not stale, f"{dist.name} is stale ({', '.join(stale)} changed): run make -C natmod dist"
    arch, version = dist.name.rsplit("_", 1)
    major, sub = map(int, version.split("."))
    assert mpy_header(dist / "pipnet.mpy") == (major, sub, ARCH_CODES[arch])


def test_the_committed_x64_artifact_draws_the_reference_image():
    blob = pack(default_arch_model(2))
    script = "import pipnet\nout = bytearray(1024)\n" \
             "pipnet.Model(open('m.blob', 'rb').read()).generate(5, -70, out)\nprint(bytes(out).hex())"
    got = mpy.run(script, files={"pipnet.mpy": DIST / "x64_6.3" / "pipnet.mpy", "m.blob": blob})
    want = reference.run(default_arch_model(2), np.array([5]), np.array([-70]))[0]
    assert bytes.fromhex(got.strip()) == want.tobytes()
