"""The committed natmods on real MicroPython firmware in qemu (../shared/firmware, 1.29-preview):
natmod/dist/armv6m_6.3 on a Cortex-M3 (mps2-an385) and a Cortex-M0 (microbit), natmod/dist/rv32imc_6.3
(the ESP32-C3's) on 32-bit RISC-V (virt-rv32). On each, every face on a set of angles, with both
shipped blobs and both plans, is the NumPy reference's bytes; a bad blob is the unix port's error.

The boards have no filesystem: pipdream.qemu_firmware sends the .mpy and the blobs over the raw REPL
(mpremote's SerialTransport) and imports from RAM. One image per command, each reply's length
checked (the microbit's UART drops bytes under long output; a short reply is asked for again).
Without PIPDREAM_FIRMWARE_DIR these tests skip and say so.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from pipdream import deploy as D
from pipdream import reference
from pipdream.blob import load
from pipdream.micropython import run as run_unix
from pipdream.paths import MODELS
from pipdream.qemu_firmware import MACHINES, FirmwareError, QemuBoard
from support.firmware import firmware_file

ANGLES = (-127, -90, -31, 0, 1, 64, 127)  # both extremes, both sides of 0, the mirror fold's edge
FACES = tuple(range(1, 7))
BLOBS = {"default": MODELS / "default.blob", "fast": MODELS / "fast.blob"}
PLANS = ("STREAM", "FULL")
# what sys.implementation._mpy names (deploy reads it): the Cortex-M3 port loads armv6m code too
REPORTED_ARCH = {"mps2-an385": "armv7em", "microbit": "armv6m", "virt-rv32": "rv32imc"}


@pytest.fixture(scope="module", params=list(MACHINES))
def board(request) -> Iterator[QemuBoard]:
    """A booted board with the committed natmod imported and both blobs in RAM (as blob_default, ...)."""
    machine = MACHINES[request.param]
    with QemuBoard(machine, firmware_file(machine.firmware)) as b:
        natmod = D.NATMOD / "dist" / f"{machine.natmod_arch}_6.3" / "pipnet.mpy"
        b.load_module("pipnet", natmod.read_bytes())
        for name, path in BLOBS.items():
            b.put(f"blob_{name}", path.read_bytes())
        b.exec("import binascii, gc\nimg = bytearray(1024)\ngc.collect()")
        yield b


def test_the_board_reports_an_mpy_abi_that_deploy_reads_as_its_architecture(board):
    value = int(board.exec("import sys\nprint(sys.implementation._mpy)", check=str.isascii).strip())
    assert D.MpyAbi.from_sys(value) == D.MpyAbi(6, 3, REPORTED_ARCH[board.machine.name])


def test_every_face_on_a_set_of_angles_is_the_references_bytes_with_both_blobs_and_both_plans(board):
    faces = np.repeat(FACES, len(ANGLES))
    codes = np.tile(ANGLES, len(FACES))
    checked, wrong = 0, []
    for name, path in BLOBS.items():
        want = reference.run(load(path.read_bytes()), faces, codes)
        for plan in PLANS:
            board.exec(f"m = None\ngc.collect()\nm = pipnet.Model(blob_{name}, pipnet.{plan})",
                       what=f"a {plan.lower()} Model of the {name} blob")
            for face, code, image in zip(faces, codes, want):
                got = board.exec(f"m.generate({face}, {code}, img)\nprint(binascii.hexlify(img).decode())",
                                 check=lambda out: len(out.strip()) == 2048,
                                 what=f"the {name} blob's {plan.lower()} image of face {face} at {code}")
                checked += 1
                if bytes.fromhex(got.strip()) != image.tobytes():
                    wrong.append((name, plan, int(face), int(code)))
    assert not wrong, f"{len(wrong)} of {checked} images differ from the reference, first {wrong[:5]}"
    assert checked == len(BLOBS) * len(PLANS) * len(FACES) * len(ANGLES) == 168


def test_a_truncated_blob_is_the_same_clear_error_as_on_the_unix_port(board):
    script = ("try:\n    pipnet.Model(blob_default[:-100])\n"
              "except ValueError as e:\n    print('ValueError:', e)")
    on_board = board.exec(script, check=lambda out: out.endswith("\n"), what="the truncated blob's error")
    natmod_x64 = D.NATMOD / "dist" / "x64_6.3" / "pipnet.mpy"
    on_unix = run_unix("import pipnet\nblob_default = open('m.blob', 'rb').read()\n" + script,
                       files={"pipnet.mpy": natmod_x64, "m.blob": BLOBS["default"].read_bytes()})
    assert on_board.strip().startswith("ValueError: invalid blob: ")
    assert on_board.split() == on_unix.split()


BOARD_OF_ARCH = {"armv6m": "pico", "rv32imc": "esp32c3"}  # the board module deploy pairs with each


def test_the_deployed_app_picks_the_natmod_and_its_boards_plan_there(board):
    """What `pipdream deploy --board esp32c3` (or pico) ships: a pipnet.mpy for this architecture
    (the committed one the fixture imported, test_deploy_stage.py checks), and a pdinfer.mpy that
    chooses it with the board's SCRATCH_BUDGET: the console's `backend natmod, plan full` (or the
    stream plan where this heap, fragmented by the earlier tests, has no 16 KB block left)."""
    module = D.board_module(BOARD_OF_ARCH[board.machine.natmod_arch])
    items = {it.name: it for it in D.plan_for(module, module.natmod_arch, use_natmod=True,
                                              model=D.DEFAULT_MODEL, compile_py=True, log=lambda s: None)}
    assert D.MpyAbi.from_mpy(items["pipnet.mpy"].data) == D.MpyAbi(6, 3, board.machine.natmod_arch)
    board.load_module("pdinfer", items["pdinfer.mpy"].data)
    budget = module.constants["SCRATCH_BUDGET"]
    said = board.exec(f"m = None\ngc.collect()\nm, name = pdinfer.load(blob_default, None, None, {budget})\n"
                      "print(name, m.info()['plan'], m.info()['scratch'])",
                      check=lambda out: out.count(" ") == 2, what="pdinfer.load's choice")
    if said.split()[1] == "stream":  # only where the heap cannot give the full plan's 16 KB in one piece
        full = board.exec("m = None\ngc.collect()\ntry:\n    pipnet.Model(blob_default, pipnet.FULL)\n"
                          "    print('fits')\nexcept MemoryError:\n    print('MemoryError')",
                          check=lambda out: out.strip() in ("fits", "MemoryError"), what="a full Model")
        assert full.strip() == "MemoryError", f"pdinfer chose {said.strip()} where the full plan fits"
        assert said.split() == ["natmod", "stream", "1407"]
    else:
        assert said.split() == ["natmod", "full", "16384"]


# ---- the driver: a short reply is asked for again, and every failure says what it waited for --------


def test_a_reply_that_fails_its_check_is_asked_for_again(board):
    board.exec("tries = 0")
    out = board.exec("tries += 1\nprint('x' * tries)", check=lambda out: out.strip() == "xxx")
    assert out.strip() == "xxx"  # the third attempt


def test_a_reply_that_never_passes_its_check_is_refused_after_four_attempts(board):
    with pytest.raises(FirmwareError, match="the greeting came short or garbled 4 times"):
        board.exec("print('hi')", check=lambda out: out.strip() == "hello", what="the greeting")


def test_a_traceback_on_the_board_is_an_error_that_shows_it_and_the_board_answers_on(board):
    with pytest.raises(FirmwareError, match="a division: the board raised\n(.|\n)*ZeroDivisionError"):
        board.exec("1 // 0", what="a division")
    assert board.exec("print(6 * 7)").strip() == "42"


def test_a_board_that_never_reaches_its_repl_is_a_clear_error_within_the_boot_timeout(tmp_path):
    machine = MACHINES["virt-rv32"]
    firmware_file(machine.firmware)  # skips, like every test here, without the firmware folder
    not_firmware = tmp_path / "zeros.bin"
    not_firmware.write_bytes(bytes(4096))
    with pytest.raises(FirmwareError, match=r"virt-rv32: no raw REPL prompt on /dev/pts/\d+ within 2 s"):
        QemuBoard(machine, not_firmware, boot_timeout=2)
