"""MicroPython onto an ESP32-family board with esptool: the commands, built and run.

    commands = esptool_commands("esp32c3", "/dev/ttyACM0", Path("ESP32_GENERIC_C3.bin"), erase=True)

The firmware image of micropython.org/download goes at the chip's bootloader
offset, which each board module names (FLASH_CHIP, FLASH_OFFSET: 0x1000 on the
ESP32, 0x0 on the ESP32-C3). RP2040 and RP2350 boards take a .uf2 by drag and
drop instead, and the ATmega328p build is flashed with avrdude (docs/deploy.md).
"""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata
from pathlib import Path

from pipdream.boards import board_module, flash_chips, known_boards
from pipdream.cli import CommandError

OFFSETS = flash_chips()  # esptool chip -> firmware offset, from the board modules
DEFAULT_BAUD = 460800  # what MicroPython's download page suggests for write-flash


def esptool_major() -> int:
    try:
        return int(metadata.version("esptool").split(".")[0])
    except (metadata.PackageNotFoundError, ValueError):
        return 5


def _command(name: str) -> str:
    """esptool 5 spells commands with dashes; 4.x only with underscores."""
    return name if esptool_major() >= 5 else name.replace("-", "_")


def check_firmware(firmware: Path) -> None:
    if not firmware.exists():
        names = ", ".join(b.constants["FIRMWARE"] for b in map(board_module, known_boards())
                          if "FLASH_CHIP" in b.constants)
        raise CommandError(f"firmware file {firmware} not found: download the .bin for your board from "
                           f"https://micropython.org/download/ ({names})")
    if firmware.is_dir():
        raise CommandError(f"firmware {firmware} is a directory, not a firmware .bin")
    if not firmware.is_file():
        raise CommandError(f"firmware {firmware} is not a file")
    if firmware.suffix.lower() == ".uf2":
        raise CommandError(f"{firmware} is a UF2 image for RP2040 boards: hold BOOTSEL while plugging the "
                           f"board in and copy it to the RPI-RP2 drive (docs/deploy.md); esptool is for "
                           f"ESP32 chips")
    if firmware.stat().st_size == 0:
        raise CommandError(f"firmware file {firmware} is empty")
    from pipdream import files

    kind = files.sniff(firmware)
    if kind != "data":  # a model blob, a checkpoint, a text file, an ELF...
        raise CommandError(f"{firmware} is {files.KINDS[kind]}, not a MicroPython firmware .bin")


def board_chip(name: str) -> str:
    """The esptool chip of boards/board_<name>.py; CommandError for a board esptool does not flash."""
    board = board_module(name)
    if "FLASH_CHIP" not in board.constants:
        raise CommandError(f"{name} is not flashed with esptool: download its firmware from "
                           f"{board.firmware_url} and follow docs/deploy.md (a .uf2: hold BOOTSEL while "
                           f"plugging the board in, copy the file to its drive)")
    return board.constants["FLASH_CHIP"]


def esptool_commands(chip: str, port: str, firmware: Path, *, erase: bool = False,
                     baud: int = DEFAULT_BAUD) -> list[list[str]]:
    """The esptool argument lists to run, in order (without the `esptool` program itself)."""
    if chip not in OFFSETS:
        raise CommandError(f"unknown chip {chip!r}: pipdream flash knows {', '.join(OFFSETS)}")
    check_firmware(firmware)
    base = ["--chip", chip, "--port", port]
    cmds = []
    if erase:
        cmds.append([*base, _command("erase-flash")])
    cmds.append([*base, "--baud", str(baud), _command("write-flash"), "-z", f"0x{OFFSETS[chip]:x}",
                 str(firmware)])
    return cmds


def flash(chip: str, port: str, firmware: Path, *, erase: bool = False, baud: int = DEFAULT_BAUD,
          dry_run: bool = False) -> list[list[str]]:
    """Run esptool (as `python -m esptool`); returns the argument lists it ran."""
    cmds = esptool_commands(chip, port, firmware, erase=erase, baud=baud)
    if not dry_run:
        from pipdream.deploy.transport import check_port

        check_port(port)  # before esptool, whose failure would send the user to the bootloader
    for args in cmds:
        print("esptool " + " ".join(args), flush=True)
        if dry_run:
            continue
        r = subprocess.run([sys.executable, "-m", "esptool", *args])
        if r.returncode != 0:
            raise CommandError(f"esptool failed (exit {r.returncode}); is the board on {port} in its "
                               f"bootloader? Hold BOOT while pressing RESET (EN), then try again")
    return cmds
