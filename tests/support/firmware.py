"""Where the real MicroPython firmware is: PIPDREAM_FIRMWARE_DIR (../shared/firmware, see its README).

The `firmware` tests skip, saying why, when it is not given or a file is missing; .ci/run points it
at ../shared/firmware when that exists.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ENV = "PIPDREAM_FIRMWARE_DIR"

RP2_UF2 = "rp2-pico-v1.23.0.uf2"
RP2_BOOTROM = "rp2040-bootrom-b1.bin"
QEMU_MPS2 = "qemu-mps2-an385-1.29pre.elf"
QEMU_MICROBIT = "qemu-microbit-native-1.29pre.elf"
QEMU_RV32 = "qemu-virt-rv32-1.29pre.elf"


def firmware_file(name: str) -> Path:
    """The path of one firmware file, or a pytest skip that says what is missing."""
    where = os.environ.get(ENV)
    if not where:
        pytest.skip(f"{ENV} is not set: the real-firmware tests need ../shared/firmware (.ci/run sets it)")
    path = Path(where) / name
    if not path.is_file():
        pytest.skip(f"{path} is missing ({ENV}={where})")
    return path
