"""Building the pipnet natmod: the ARM targets link (mpy_ld accepts them), every
.mpy says its architecture in its header, x64, armv6m and rv32imc build against both
MicroPython trees (1.23's, which the Makefile fetches, and the 1.29 natmod kit), the
committed artifacts in natmod/dist/ come from the current sources, and a bad MPY_DIR
is a clear error.

The kit is MicroPython 1.29's natmod build files (../shared/micropython-natmod-1.29,
or $PIPDREAM_NATMOD_KIT); the tests that need it skip, saying so, where it is absent."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import default_arch_model
from pipdream import micropython as mpy
from pipdream import reference
from pipdream.blob import pack
from pipdream.deploy.compile import NATMOD_KIT_ENV, natmod_kit
from support import REPO

DIST = mpy.NATMOD_DIR / "dist"
# MP_NATIVE_ARCH_* of MicroPython's py/persistentcode.h
ARCH_CODES = {"x64": 2, "armv6m": 4, "armv7m": 5, "armv7emsp": 7, "xtensawin": 10, "rv32imc": 11}
KIT_TREE = "1.29-kit"  # the tree names of the parameters; "1.23" is the Makefile's default


def kit_dir() -> Path:
    """The 1.29 natmod kit (deploy's natmod_kit()), or a skip that says where it was looked for."""
    kit = natmod_kit()
    if kit is None:
        where = os.environ.get(NATMOD_KIT_ENV) or REPO.parent / "shared" / "micropython-natmod-1.29"
        pytest.skip(f"no MicroPython 1.29 natmod kit at {where} (set {NATMOD_KIT_ENV} to one)")
    return kit


def build(arch: str, tree: str) -> Path:
    """pipnet.mpy for `arch` built against `tree`: the 1.23 tree into natmod/build/<arch>/
    (what the other tests use), the kit into natmod/build/kit-<arch>/, beside it."""
    if tree == "1.23":
        return mpy.natmod_mpy(arch)
    return _build_kit(arch, kit_dir())


_built: dict[str, Path] = {}


def _build_kit(arch: str, kit: Path) -> Path:
    if arch not in _built:
        out = f"build/kit-{arch}"
        cmd = ["make", "--no-print-directory", "-C", str(mpy.NATMOD_DIR), "build", f"ARCH={arch}",
               f"MPY_DIR={kit}", f"BUILD_DIR={out}", f"PYTHON={sys.executable}"]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-15:])
        assert proc.returncode == 0, f"the {arch} build against {kit} failed:\n{tail}"
        _built[arch] = mpy.NATMOD_DIR / out / "pipnet.mpy"
    return _built[arch]


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


BOTH_TREES = [(arch, tree) for arch in ("x64", "armv6m") for tree in ("1.23", KIT_TREE)]


@pytest.mark.parametrize("arch, tree", [*BOTH_TREES, ("rv32imc", KIT_TREE)])
def test_each_architecture_builds_against_both_micropython_trees(arch, tree):
    """1.23's dynruntime.mk links no libraries (libgcc_rt.sh gathers armv6m's division helpers);
    the kit's links libgcc itself with LINK_RUNTIME = 1 and names its link target differently."""
    path = build(arch, tree)
    assert mpy_header(path) == (6, 3, ARCH_CODES[arch])
    assert path.stat().st_size > 4000


def test_rv32imc_against_micropython_1_23_is_refused_by_its_build_files():
    """rv32imc came with MicroPython 1.25's natmod tools: 1.23's dynruntime.mk says it lacks it."""
    proc = subprocess.run(["make", "--no-print-directory", "-C", str(mpy.NATMOD_DIR), "build", "ARCH=rv32imc",
                           "BUILD_DIR=build/rv32imc-1.23", f"PYTHON={sys.executable}"],
                          capture_output=True, text=True)
    assert proc.returncode != 0
    assert "architecture 'rv32imc' not supported" in proc.stderr


def test_the_x64_build_from_the_kit_draws_the_reference_image_on_the_unix_port():
    blob = pack(default_arch_model(2))
    script = "import pipnet\nout = bytearray(1024)\n" \
             "for plan in (pipnet.STREAM, pipnet.FULL):\n" \
             "    pipnet.Model(open('m.blob', 'rb').read(), plan).generate(3, 101, out)\n" \
             "    print(bytes(out).hex())"
    got = mpy.run(script, files={"pipnet.mpy": build("x64", KIT_TREE), "m.blob": blob}).split()
    want = reference.run(default_arch_model(2), np.array([3]), np.array([101]))[0].tobytes()
    assert [bytes.fromhex(line) for line in got] == [want, want]


def test_a_build_against_another_tree_recompiles_every_object(tmp_path):
    """Objects compiled against one tree's headers are never linked by another tree's mpy_ld."""
    kit = kit_dir()
    out = tmp_path / "x64"

    def compiled(mpy_dir: str) -> int:
        proc = subprocess.run(["make", "--no-print-directory", "-C", str(mpy.NATMOD_DIR), "build", "ARCH=x64",
                               f"BUILD_DIR={out}", f"PYTHON={sys.executable}", *mpy_dir.split()],
                              capture_output=True, text=True, check=True)
        return proc.stdout.count("CC ")

    first = compiled("")
    assert first >= 5 and compiled("") == 0  # up to date against 1.23
    assert compiled(f"MPY_DIR={kit}") == first  # a new tree: everything again
    assert compiled(f"MPY_DIR={kit}") == 0


def test_a_missing_micropython_checkout_is_a_clear_error(tmp_path):
    proc = subprocess.run(["make", "-C", str(mpy.NATMOD_DIR), "build", f"MPY_DIR={tmp_path}/none",
                           f"PYTHON={sys.executable}"], capture_output=True, text=True)
    assert proc.returncode != 0
    assert "is not a MicroPython checkout: no py/dynruntime.mk there" in proc.stderr


# ---- committed artifacts ---------------------------------------------------------------


def dist_dirs() -> list[Path]:
    return sorted(p for p in DIST.glob("*_*") if (p / "pipnet.mpy").exists())


def test_the_x64_armv6m_and_rv32imc_artifacts_are_committed():
    assert {p.name for p in dist_dirs()} >= {"x64_6.3", "armv6m_6.3", "rv32imc_6.3"}


# The tree each committed artifact is built against: `make -C natmod dist`.
DIST_TREES = {"x64_6.3": "1.23", "armv6m_6.3": "1.23", "rv32imc_6.3": KIT_TREE}


@pytest.mark.parametrize("dist, tree", DIST_TREES.items())
def test_each_committed_artifact_is_the_bytes_its_tree_builds_today(dist, tree):
    """Stronger than the hashes of the sources: today's build, byte for byte (the build is
    deterministic). rv32imc needs the 1.29 kit: without it this skips and says so."""
    arch = dist.rsplit("_", 1)[0]
    committed = (DIST / dist / "pipnet.mpy").read_bytes()
    assert build(arch, tree).read_bytes() == committed, \
        f"natmod/dist/{dist}/pipnet.mpy is not what the sources build: run make -C natmod dist"


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
