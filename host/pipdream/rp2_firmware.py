"""Real MicroPython firmware for the Pico, run in rp2040js: boot it on a filesystem, type at its REPL,
press its button, read what it sends to the display.

    fw = Rp2Firmware(uf2, bootrom, fs=littlefs_image(folder), presses=[(8000, 100)], until_ms=12000)
    run = fw.run()                      # to the end: run.serial (console text), run.i2c (transactions)
    with Rp2Firmware(uf2, bootrom, fs=image, interactive=True) as fw:
        fw.exec("print(1 + 1)")         # the raw REPL: b"2\\r\\n"

bench/rp2040/firmware.mjs is the board (what it supplies that rp2040js lacks: its header); every
time in its reports is the RP2040's own clock (t_us), never the host's. The host's clock only
bounds how long we wait for the emulator (HOST_TIMEOUT_S a step), and a wait that runs out says
what it was waiting for.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path

from . import paths

# a checkout's tool (bench/ is not in the wheel): an install has no harness to run
_BENCH = (paths.CHECKOUT or paths.DATA) / "bench" / "rp2040"
HARNESS = _BENCH / "firmware.mjs"
NODE_MODULES = _BENCH / "node_modules"
# the rp2 port's littlefs (ports/rp2/boards/RPI_PICO: 1408 KB of flash at offset 0xA0000 minus the
# 848 KB firmware area): block 4096, 352 blocks; as ../shared/firmware/README.md lists them
FS_BLOCK_SIZE = 4096
FS_BLOCK_COUNT = 352
HOST_TIMEOUT_S = 600.0


class FirmwareError(RuntimeError):
    """The emulated board did not do what was asked (with what it printed)."""


def littlefs_image(folder: Path) -> bytes:
    """A littlefs v2 image of the rp2 port's geometry holding every file of `folder` at its root."""
    import littlefs

    fs = littlefs.LittleFS(block_size=FS_BLOCK_SIZE, block_count=FS_BLOCK_COUNT, prog_size=256,
                           read_size=32, lookahead_size=32)
    for path in sorted(Path(folder).iterdir()):
        if path.is_file():
            with fs.open(path.name, "wb") as f:
                f.write(path.read_bytes())
    return bytes(fs.context.buffer)


@dataclass
class Run:
    """What the board did: its console, its I2C write transactions, when each happened (t_us)."""

    serial: str = ""
    serial_at: list[tuple[int, str]] = field(default_factory=list)
    i2c: list[tuple[int, int, bytes]] = field(default_factory=list)  # (t_us, address, bytes)
    nacks: list[tuple[int, int]] = field(default_factory=list)
    end: str | None = None
    t_us: int = 0


class Rp2Firmware:
    """One run of a UF2 on rp2040js (see the module docstring)."""

    def __init__(self, uf2: Path, bootrom: Path, fs: bytes | None = None, seed: int = 1,
                 presses: list[tuple[int, int]] = (), until_ms: int = 60_000,
                 interactive: bool = False, workdir: Path | None = None) -> None:
        if shutil.which("node") is None:
            raise FirmwareError("node is not installed (make setup installs it)")
        if not NODE_MODULES.is_dir():
            raise FirmwareError(f"rp2040js is not installed in {NODE_MODULES} (make setup)")
        self.run_state = Run()
        uf2, bootrom = Path(uf2).resolve(), Path(bootrom).resolve()  # node runs in the harness's folder
        cmd = ["node", str(HARNESS), "--uf2", str(uf2), "--bootrom", str(bootrom), "--seed", str(seed),
               "--until-ms", str(until_ms),
               "--press", ",".join(f"{at}:{hold}" for at, hold in presses)]
        if fs is not None:
            workdir = Path(workdir or os.environ.get("TMPDIR", "/tmp"))
            self._fs_file = workdir / f"pipdream-rp2fs-{os.getpid()}-{id(self)}.img"
            self._fs_file.write_bytes(fs)
            cmd += ["--fs", str(self._fs_file)]
        else:
            self._fs_file = None
        if interactive:
            cmd.append("--stdin")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE if interactive else subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     encoding="utf-8", cwd=HARNESS.parent)
        self._lines: queue.Queue[dict | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self._serial_seen = 0  # how much of run.serial wait_for() has consumed

    def _read(self) -> None:
        for line in self.proc.stdout:
            try:
                self._lines.put(json.loads(line))
            except json.JSONDecodeError:
                self._lines.put({"junk": line})
        self._lines.put(None)

    def _take(self, timeout: float) -> bool:
        """Apply one report to run_state; False at the end of the run."""
        try:
            msg = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise FirmwareError(f"rp2040js sent nothing for {timeout:.0f} s of host time") from None
        r = self.run_state
        if msg is None:
            if r.end is None:
                err = self.proc.stderr.read() if self.proc.stderr else ""
                raise FirmwareError(f"rp2040js ended without a report: {err[-2000:]}")
            return False
        r.t_us = msg.get("t_us", r.t_us)
        if "serial" in msg:
            r.serial += msg["serial"]
            r.serial_at.append((r.t_us, msg["serial"]))
        elif "i2c" in msg:
            r.i2c.append((r.t_us, msg["i2c"], bytes.fromhex(msg["data"])))
        elif "nack" in msg:
            r.nacks.append((r.t_us, msg["nack"]))
        elif "end" in msg:
            r.end = msg["end"]
        elif "junk" in msg:
            raise FirmwareError(f"rp2040js printed {msg['junk']!r}")
        return True

    def run(self) -> Run:
        """Run to the end (--until-ms) and return what happened."""
        while self._take(HOST_TIMEOUT_S):
            pass
        self.close()
        return self.run_state

    def wait_for(self, text: str, timeout: float = HOST_TIMEOUT_S) -> str:
        """Console output up to and including the next `text`."""
        r = self.run_state
        while True:
            at = r.serial.find(text, self._serial_seen)
            if at >= 0:
                got = r.serial[self._serial_seen: at + len(text)]
                self._serial_seen = at + len(text)
                return got
            try:
                alive = self._take(timeout)
            except FirmwareError as e:
                raise FirmwareError(f"waiting for {text!r}: {e}; the console ended with "
                                    f"{r.serial[-600:]!r}") from None
            if not alive:
                raise FirmwareError(f"the run ended ({r.end}) before {text!r}; the console ended with "
                                    f"{r.serial[-600:]!r}")

    def send(self, msg: dict) -> None:
        self.proc.stdin.write(json.dumps(msg) + "\n")
        self.proc.stdin.flush()

    def type(self, text: str) -> None:
        self.send({"serial": text})

    def raw_repl(self) -> None:
        """Stop whatever runs (Ctrl-C) and enter the raw REPL (Ctrl-A), as mpremote does."""
        self.type("\r\x03\x03")
        self.type("\x01")
        self.wait_for("raw REPL; CTRL-B to exit\r\n>")

    def exec(self, code: str, timeout: float = HOST_TIMEOUT_S) -> str:
        """Run `code` in the raw REPL; its output, or FirmwareError with the traceback."""
        self.type(code + "\x04")
        self.wait_for("OK", timeout)
        out = self.wait_for("\x04", timeout)[:-1]
        err = self.wait_for("\x04", timeout)[:-1]
        self.wait_for(">", timeout)
        if err:
            raise FirmwareError(f"the board raised: {err.strip()}")
        return out

    def close(self) -> None:
        if self.proc.poll() is None:
            if self.proc.stdin:
                try:
                    self.send({"stop": True})
                except (BrokenPipeError, OSError):
                    pass
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._fs_file is not None:
            self._fs_file.unlink(missing_ok=True)

    def __enter__(self) -> Rp2Firmware:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# rp2040js runs one core and has no SIO FIFO (core 1 cannot start): the app is asked for one core by
# the main.py of the image, the only file that differs from what `pipdream deploy --stage` writes
ONE_CORE_MAIN = """# main.py for rp2040js (pipdream.rp2_firmware): the deployed app on one core
import pdapp
import pdboard

board = pdboard.build()
board.cores = 1  # rp2040js emulates core 0 only
pdapp.main(board=board)
"""


def stage_pico(directory: Path, model: Path | None = None, log=lambda s: None) -> Path:
    """`pipdream deploy --board pico --stage directory` (the armv6m natmod, .mpy files, the model),
    with ONE_CORE_MAIN as main.py; returns the directory."""
    from . import deploy as D

    items = D.plan_for(D.board_module("pico"), "armv6m", use_natmod=True, model=model or D.DEFAULT_MODEL,
                       compile_py=True, log=log)
    D.write_stage(items, Path(directory), log=log)
    (Path(directory) / "main.py").write_text(ONE_CORE_MAIN)
    return Path(directory)
