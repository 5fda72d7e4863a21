"""How the app's files are built for a board: mpy-cross for the Python, the natmod for its architecture.

    compile_mpy(Path("device/pdapp.py"), "pdapp.py", "armv6m")   # .mpy bytes (cached by content)
    ensure_natmod("armv6m")          # natmod/dist's pipnet.mpy while current, else a fresh make
    MpyAbi.from_mpy(data)            # what an .mpy needs: version, sub-version, architecture

Which files go where is plan.py's; getting them onto the board is transport.py's.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pipdream import files, micropython, paths
from pipdream.cli import CommandError
from pipdream.paths import NATMOD, cache_dir, shown

NATMOD_NAME = "pipnet.mpy"

# sys.implementation._mpy and .mpy headers number architectures the same way (py/persistentcode.h).
ARCH_NAMES = (None, "x86", "x64", "armv6", "armv6m", "armv7m", "armv7em", "armv7emsp", "armv7emdp",
              "xtensa", "xtensawin", "rv32imc", "rv64imc")


# -- .mpy compatibility ----------------------------------------------------------------------


@dataclass(frozen=True)
class MpyAbi:
    """What a board's runtime accepts, or what an .mpy file needs: version, sub-version, arch."""

    version: int
    sub: int
    arch: str | None

    @classmethod
    def from_sys(cls, value: int) -> MpyAbi:
        """Decode sys.implementation._mpy: version | sub << 8 | arch << 10, and from MicroPython 1.25
        on architecture flags above bit 16 (VIRT_RV32 1.29 says 77574: 6.3 rv32imc, flags 1)."""
        arch = (value >> 10) & 0x2F  # MPY_FEATURE_DECODE_ARCH of py/persistentcode.h
        return cls(value & 0xFF, (value >> 8) & 3, ARCH_NAMES[arch] if arch < len(ARCH_NAMES) else f"#{arch}")

    @classmethod
    def from_mpy(cls, data: bytes) -> MpyAbi:
        """Decode an .mpy header: b"M", version, arch << 2 | sub-version, small-int bits."""
        if len(data) < 4 or data[:1] != b"M":
            raise ValueError("not an .mpy file (no 'M' header)")
        arch = (data[2] >> 2) & 0x2F  # 0x40 of the byte: architecture flags follow the header
        return cls(data[1], data[2] & 3, ARCH_NAMES[arch] if arch < len(ARCH_NAMES) else f"#{arch}")

    def __str__(self) -> str:
        return f"mpy v{self.version}.{self.sub} {self.arch or '(no native code)'}"


# Architectures that MicroPython 1.23's natmod build files (natmod/Makefile's default tree) lack:
# they need a MicroPython >= 1.25 checkout as MPY_DIR, or the 1.29 natmod kit.
NEWER_TREE_ARCHS = ("rv32imc", "rv64imc")
NATMOD_KIT_ENV = "PIPDREAM_NATMOD_KIT"


def natmod_kit() -> Path | None:
    """MicroPython 1.29's natmod build files: $PIPDREAM_NATMOD_KIT, else ../shared/micropython-natmod-1.29
    beside a checkout; None when neither holds py/dynruntime.mk."""
    if os.environ.get(NATMOD_KIT_ENV):
        kit = Path(os.environ[NATMOD_KIT_ENV])
    elif paths.CHECKOUT is not None:
        kit = paths.CHECKOUT.parent / "shared" / "micropython-natmod-1.29"
    else:
        return None
    return kit if (kit / "py" / "dynruntime.mk").is_file() else None


def natmod_artifact(arch: str) -> Path | None:
    """natmod/dist/<arch>_<mpy version>/pipnet.mpy, if one was built."""
    found = sorted(NATMOD.glob(f"dist/{arch}_*/{NATMOD_NAME}"))
    return found[-1] if found else None


def _natmod_current(artifact: Path) -> bool:
    """True when the hashes recorded beside the artifact match today's sources."""
    record = artifact.with_name("pipnet.inputs.sha256")
    if not record.is_file():
        return False
    for line in record.read_text().splitlines():
        digest, _, name = line.partition("  ")
        src = NATMOD / name.strip()
        if not src.is_file() or hashlib.sha256(src.read_bytes()).hexdigest() != digest:
            return False
    return True


def ensure_natmod(arch: str, log: Callable[[str], None] = print) -> tuple[Path | None, str]:
    """The natmod for arch: the committed natmod/dist artifact while it matches today's sources,
    else a fresh `make -C natmod build ARCH=arch` (natmod/build/<arch>/, dist is left alone),
    for rv32imc against natmod_kit() unless MPY_DIR is set.

    Returns (path, "") or (None, why not)."""
    artifact = natmod_artifact(arch)
    if artifact is not None and _natmod_current(artifact):
        return artifact, ""
    cmd = ["make", "-C", str(NATMOD), "build", f"ARCH={arch}"]
    kit = natmod_kit() if arch in NEWER_TREE_ARCHS and not os.environ.get("MPY_DIR") else None
    if kit is not None:
        cmd.append(f"MPY_DIR={kit}")
    log(f"building the {arch} natmod: make -C natmod {' '.join(cmd[3:])}")
    with files.locked(NATMOD / "build"):
        r = subprocess.run(cmd, capture_output=True, text=True)
    built = NATMOD / "build" / arch / NATMOD_NAME
    if r.returncode != 0 or not built.is_file():
        err = (r.stderr or r.stdout).strip()
        if f"architecture '{arch}' not supported" in err:
            return None, (f"MicroPython 1.23's natmod build files cannot build {arch}: set MPY_DIR to a "
                          f"MicroPython >= 1.25 checkout (docs/natmod.md)")
        if "Error 127" in err or "not found" in err:
            return None, (f"the {arch} compiler is not installed (for xtensawin: ESP-IDF's "
                          f"xtensa-esp32-elf-gcc; docs/natmod.md)")
        tail = " ".join(err.splitlines()[-2:])
        return None, f"could not build the {arch} natmod ({tail or 'make failed'})"
    return built, ""


# -- mpy-cross -----------------------------------------------------------------------------------


def mpy_cross_binary() -> str:
    try:
        return micropython.tool("mpy-cross")
    except FileNotFoundError as e:
        raise CommandError(str(e)) from None


@lru_cache(maxsize=1)
def _mpy_cross_version() -> str:
    r = subprocess.run([mpy_cross_binary(), "--version"], capture_output=True, text=True)
    return r.stdout.strip()


def compile_mpy(src: Path, name: str, arch: str | None) -> bytes:
    """src compiled by mpy-cross; `name` is the file name tracebacks on the board will show.

    Outputs are cached by content (mpy-cross is deterministic) in the render cache."""
    source = src.read_bytes()
    key = hashlib.sha256(b"\0".join([source, name.encode(), (arch or "").encode(),
                                      _mpy_cross_version().encode()])).hexdigest()
    cached = cache_dir() / "mpy" / f"{key}.mpy"
    if cached.is_file():
        return cached.read_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.mpy"
        cmd = [mpy_cross_binary(), "-o", str(out), "-s", name]
        if arch:
            cmd.append(f"-march={arch}")  # viper/native functions become machine code for this arch
        r = subprocess.run([*cmd, str(src)], capture_output=True, text=True)
        if r.returncode != 0:
            said = " ".join((r.stderr or r.stdout).split()) or f"exit status {r.returncode}, no message"
            raise CommandError(f"mpy-cross failed on {shown(src)}: {said}")
        data = out.read_bytes()
    try:
        files.write_bytes(cached, data)
    except OSError:
        pass  # a read-only cache only costs time
    return data
