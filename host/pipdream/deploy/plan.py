"""What goes where on a board: the app's files, its board module, the natmod and the model.

    board = board_module("pico")                 # boards/board_pico.py, read without running it
    items = plan_for(board, "armv6m", use_natmod=True, model=DEFAULT_MODEL, compile_py=True)

On the board (its "/"): main.py, boot.py and pdsettings.py stay source (people edit
them); every other device/*.py becomes .mpy; boards/board_<B>.py becomes pdboard.mpy;
the natmod for the board's architecture is pipnet.mpy; the model is pdsettings.MODEL_PATH.
A model the board cannot load is refused here (check_model), before anything is built.
The bytes come from compile.py; transport.py writes them into a folder or onto a board.
"""

from __future__ import annotations

import ast
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pipdream import files
from pipdream.boards import BoardModule, board_module, known_boards, model_heap, natmod_heap  # noqa: F401
from pipdream.cli import CommandError
from pipdream.deploy.compile import NATMOD_NAME, MpyAbi, compile_mpy, ensure_natmod
from pipdream.paths import BOARDS, DEVICE, MODELS, shown  # noqa: F401 (BOARDS: deploy's API)

DEFAULT_MODEL = MODELS / "default.blob"
KEEP_SOURCE = ("main.py", "boot.py", "pdsettings.py")  # run by the firmware, or edited on the board
BOARD_MODULE_NAME = "pdboard"


# -- the app's settings --------------------------------------------------------------------


def device_setting(name: str) -> object:
    """A constant of device/pdsettings.py (the one place the app's settings are defined)."""
    for node in ast.parse((DEVICE / "pdsettings.py").read_text()).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise KeyError(f"device/pdsettings.py defines no {name}")


# -- what goes on the board ----------------------------------------------------------------

PORT_MODULES = {"micropython": "pdboard_micropython.py", "circuitpython": "pdboard_circuitpython.py"}


def app_sources(board: BoardModule) -> list[Path]:
    """device/*.py that the board runs: all but the other firmware's machine layer (pdboard_<firmware>)."""
    other = PORT_MODULES["micropython" if board.circuitpython else "circuitpython"]
    return [p for p in sorted(DEVICE.glob("*.py")) if p.name != other]


@dataclass
class Item:
    name: str  # path on the board, relative to "/"
    data: bytes
    origin: str  # where it came from, for messages
    shadows: tuple[str, ...] = ()  # files that would be imported instead of this one: removed

    @property
    def sha256(self) -> bytes:
        return hashlib.sha256(self.data).digest()


def build_plan(board: BoardModule, arch: str | None = None, *, model: Path = DEFAULT_MODEL,
               natmod: Path | None = None, compile_py: bool = True) -> list[Item]:
    """Every file the board gets. `arch` is the board's natmod/viper architecture; `natmod` the
    pipnet.mpy to install (None: none). The model goes as it is (the simulator stages torn ones
    on purpose); plan_for, deploy() and `pipdream deploy` refuse one with check_model first."""
    try:
        blob = files.input_file(model, "model blob", empty_ok=True).read_bytes()
    except ValueError as e:
        raise CommandError(f"{e} (pipdream pack writes one)" if "not found" in str(e) else str(e)) from None
    sources = app_sources(board)
    if not sources:
        raise CommandError(f"no device app in {DEVICE}")
    compile_py = compile_py and not board.circuitpython  # CircuitPython has its own .mpy format
    items = []

    def add(src: Path, name: str) -> None:
        stem = name[:-3]
        if compile_py and name not in KEEP_SOURCE:
            items.append(Item(stem + ".mpy", compile_mpy(src, name, arch), f"{shown(src)} (mpy-cross)",
                              (name,)))
        else:
            items.append(Item(name, src.read_bytes(), shown(src), (stem + ".mpy",)))

    for src in sources:
        name = src.name
        if name == "main.py" and board.circuitpython:
            name = "code.py"  # what CircuitPython runs at boot
        add(src, name)
    add(board.path, BOARD_MODULE_NAME + ".py")
    if natmod is not None:
        items.append(Item(NATMOD_NAME, natmod.read_bytes(), shown(natmod)))
    model_name = str(device_setting("MODEL_PATH")).lstrip("/")
    items.append(Item(model_name, blob, shown(model)))
    return items


def check_model(model: Path, board: BoardModule | None = None) -> bytes:
    """The blob's bytes if the board can load it: the reader's checks (header, CRC, layer
    table: what pdblob and the natmod check on the board), the image the app draws (faces
    1..N_FACES, OUT_HxOUT_W), and the streaming plan's scratch within the board's
    SCRATCH_BUDGET (the least RAM the natmod runs in). CommandError naming the defect."""
    from pipdream import plan as scratch  # the model's execution plans, pipdream/plan.py
    from pipdream.blob import BlobError, load, read_file
    from pipdream.blob import format as F

    try:
        data = read_file(model)
    except ValueError as e:
        raise CommandError(f"{e} (pipdream pack writes one)" if "not found" in str(e) else str(e)) from None
    try:
        qmodel = load(data)
    except BlobError as e:
        raise CommandError(f"{model} is not a model the board can load: {e}") from None
    if qmodel.n_faces != F.N_FACES or tuple(qmodel.out_shape) != (F.OUT_C, F.OUT_H, F.OUT_W):
        c, h, w = qmodel.out_shape
        raise CommandError(f"{model} draws {qmodel.n_faces} faces at {w}x{h}x{c}; the die app needs "
                           f"{F.N_FACES} faces at {F.OUT_W}x{F.OUT_H}x{F.OUT_C}")
    budget = board.constants.get("SCRATCH_BUDGET") if board is not None else None
    if budget is not None:
        need = scratch.plan(qmodel, scratch.STREAM).scratch_bytes
        if need > budget:
            raise CommandError(f"{model} needs {need} bytes of scratch even with the streaming plan; "
                               f"boards/board_{board.name}.py allows SCRATCH_BUDGET = {budget}")
    if board is not None:
        check_heap(model, len(data), qmodel, board)
    return data


def app_plan(qmodel, blob_bytes: int, board: BoardModule) -> tuple[str, int]:
    """(plan, scratch bytes) the app picks on the board (device/pdapp.py, pdinfer.load): the
    full plan when its scratch fits SCRATCH_BUDGET and, beside the blob and the app, the heap;
    else the streaming one."""
    from pipdream import plan as scratch

    c = board.constants
    full = scratch.plan(qmodel, scratch.FULL).scratch_bytes
    room = (model_heap(board) or 0) - blob_bytes
    if full <= c.get("SCRATCH_BUDGET", -1) and full <= room:
        return "full", full
    return "stream", scratch.plan(qmodel, scratch.STREAM).scratch_bytes


def check_heap(model: Path, blob_bytes: int, qmodel, board: BoardModule) -> None:
    """CommandError naming the figure that is over when the blob, the scratch of the plan the app
    would pick, the app's own need (APP_HEAP) and the natmod's code do not fit the board's HEAP_BYTES."""
    room = model_heap(board)
    if room is None:
        return  # a board module that does not say (CircuitPython: no natmod plans)
    c = board.constants
    natmod = natmod_heap(board)
    where = (f"boards/board_{board.name}.py: HEAP_BYTES {c['HEAP_BYTES']:,} - APP_HEAP {c['APP_HEAP']:,}"
             + (f" - the natmod's code {natmod:,}" if natmod else ""))
    if blob_bytes > room:
        raise CommandError(f"{model} does not fit the {board.name}: the blob alone ({blob_bytes:,} bytes) is "
                           f"over the {room:,} bytes of heap it has for a model ({where})")
    plan, need = app_plan(qmodel, blob_bytes, board)
    if blob_bytes + need > room:
        raise CommandError(f"{model} does not fit the {board.name}: the blob ({blob_bytes:,} bytes) and the "
                           f"{plan} plan's scratch ({need:,} bytes) are over the {room:,} bytes of heap "
                           f"it has for a model by {blob_bytes + need - room:,} ({where})")


def plan_for(board: BoardModule, arch: str | None, *, use_natmod: bool, model: Path, compile_py: bool,
             log: Callable[[str], None] = print) -> list[Item]:
    """build_plan with the natmod found or built for `arch` (None when it cannot be had), once
    the model passes check_model: a deploy never ships a model the board cannot load."""
    check_model(model, board)
    natmod = None
    if use_natmod and arch and not board.circuitpython:
        natmod, why = ensure_natmod(arch, log)
        if natmod is None:
            log(f"no natmod: {why}; the app will use its viper backend")
        elif MpyAbi.from_mpy(natmod.read_bytes()).arch != arch:
            raise CommandError(f"{shown(natmod)} is not built for {arch}")
    return build_plan(board, arch, model=model, natmod=natmod, compile_py=compile_py)
