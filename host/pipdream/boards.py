"""The board modules (boards/board_<name>.py), read without running them: the one source of
what pipdream knows about a board. Everything else derives from them:

    board = board_module("pico")       # NAME, PORT, MACHINE, pins, budgets... as .constants
    known_boards()                     # every boards/board_*.py, by name
    sim_profile(board)                 # the simulated machine (sim/world.py's BOARDS)
    flash_chips()                      # esptool chip -> firmware offset (pipdream flash)

Who reads which constant: boards/README.md.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from pipdream.cli import CommandError
from pipdream.paths import BOARDS

# esptool chips that no board module here names: `pipdream flash --chip` still knows their offset
OTHER_FLASH_CHIPS = {"esp32s3": 0x0}


@dataclass(frozen=True)
class BoardModule:
    """boards/board_<name>.py, read without running it (it imports machine)."""

    name: str
    path: Path
    port: str  # sys.platform of its firmware, or "circuitpython"
    natmod_arch: str | None
    constants: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def circuitpython(self) -> bool:
        return self.port == "circuitpython"

    @property
    def firmware_url(self) -> str:
        """Where its firmware is downloaded (FIRMWARE: the download page's board id)."""
        site = "https://circuitpython.org/board/" if self.circuitpython else "https://micropython.org/download/"
        return site + str(self.constants.get("FIRMWARE", ""))


def known_boards() -> list[str]:
    return sorted(p.stem[len("board_"):] for p in BOARDS.glob("board_*.py"))


def board_module(name: str) -> BoardModule:
    return _read(BOARDS / f"board_{name}.py")


_CONSTANT_NODES = (ast.Expression, ast.Constant, ast.Tuple, ast.List, ast.Dict, ast.Set, ast.Load,
                   ast.BinOp, ast.UnaryOp, ast.Add, ast.Sub, ast.Mult, ast.FloorDiv, ast.LShift, ast.BitOr,
                   ast.USub, ast.Name)


def constant_value(node: ast.expr, names: dict) -> Any:
    """A module constant's value: literals, arithmetic on them and earlier constants (192 * 1024);
    ValueError for anything else (a call, an attribute: the board module computes it on the board)."""
    tree = ast.Expression(node)
    for n in ast.walk(tree):
        if not isinstance(n, _CONSTANT_NODES) or (isinstance(n, ast.Name) and n.id not in names):
            raise ValueError(f"not a constant: {ast.unparse(node)}")
    return eval(compile(tree, "<board constant>", "eval"), {"__builtins__": {}}, dict(names))  # noqa: S307


def module_constants(path: Path) -> dict:
    """NAME = value assignments at the top of a MicroPython module whose value is a constant."""
    constants: dict = {}
    for node in ast.parse(path.read_text(), str(path)).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                constants[node.targets[0].id] = constant_value(node.value, constants)
            except ValueError:
                pass
    return constants


@lru_cache(maxsize=32)
def _read_cached(path: Path, mtime_ns: int) -> BoardModule:
    constants = module_constants(path)
    name = path.stem[len("board_"):]
    return BoardModule(name, path, constants.get("PORT", ""), constants.get("NATMOD_ARCH"), constants)


def _read(path: Path) -> BoardModule:
    if not path.is_file():
        raise CommandError(f"unknown board {path.stem[len('board_'):]!r}: boards/ has "
                           f"{', '.join(known_boards()) or 'none'}")
    return _read_cached(path, path.stat().st_mtime_ns)


# A natmod's code stays in the MicroPython heap on a port without MP_PLAT_COMMIT_EXEC (the rp2 port:
# NATMOD_IN_HEAP; the esp32 port copies it to ESP-IDF's executable heap, esp_native_code_commit in
# ports/esp32/main.c): its .mpy's size and this much more. Measured on the rp2 v1.23 firmware in
# rp2040js: importing the 28,488-byte armv6m pipnet.mpy took 28,864 B of heap (376 B more).
NATMOD_HEAP_EXTRA = 1024


def natmod_heap(board: BoardModule) -> int:
    """Bytes of the board's heap its natmod takes once imported (0 where the port keeps native
    code elsewhere, or there is no natmod for its architecture)."""
    if not board.constants.get("NATMOD_IN_HEAP") or not board.natmod_arch:
        return 0
    from pipdream.deploy.compile import natmod_artifact

    natmod = natmod_artifact(board.natmod_arch)
    return natmod.stat().st_size + NATMOD_HEAP_EXTRA if natmod is not None else 0


def model_heap(board: BoardModule) -> int | None:
    """Heap a model's blob and scratch may take: HEAP_BYTES less APP_HEAP (the app's measured
    need) and the natmod's code; None for a module that does not say (CircuitPython's)."""
    c = board.constants
    if "HEAP_BYTES" not in c or "APP_HEAP" not in c:
        return None
    return c["HEAP_BYTES"] - c["APP_HEAP"] - natmod_heap(board)


def sim_profile(board: BoardModule) -> dict[str, Any] | None:
    """The simulated machine for a MicroPython board (simboard's `board`), None for one with no
    SIM table (CircuitPython's, which the simulation runs as the Pico it is wired like)."""
    c = board.constants
    if "SIM" not in c:
        return None
    # the heap the app finds with the natmod imported: the unix port that plays the board keeps
    # native code outside its heap (1,344 B of heap for the x64 natmod, measured)
    heap = c["HEAP_BYTES"] - natmod_heap(board)
    profile = {"name": board.name, "port": board.port, "heap": heap, "freq": c["FREQ"], **c["SIM"]}
    if "I2C_BLOCKS" in c:  # rp2: where the DMA writes the display's bytes
        profile["i2c_blocks"], profile["dreq_i2c_tx"] = list(c["I2C_BLOCKS"]), list(c["DREQ_I2C_TX"])
    return profile


def flash_chips() -> dict[str, int]:
    """esptool chip -> the firmware's offset: every board module's FLASH_CHIP, and OTHER_FLASH_CHIPS."""
    chips = dict(OTHER_FLASH_CHIPS)
    for b in map(board_module, known_boards()):
        if "FLASH_CHIP" in b.constants:
            chips[b.constants["FLASH_CHIP"]] = b.constants["FLASH_OFFSET"]
    return chips
