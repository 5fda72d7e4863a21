"""How the files get there: into a folder, or onto a board over mpremote (mip packages: mip.py).

    write_stage(items, Path("out/pico"))             # a folder (or a CIRCUITPY drive)
    deploy(board_module("pico"), "/dev/ttyACM0")     # a board, with mpremote

Copying uses the real mpremote (its SerialTransport, as a library). Each file is
written under a temporary name, its sha256 checked on the board, then renamed over
the old one (atomic on littlefs), so a cable pulled mid-copy leaves the previous file
whole. Files whose hash already matches are skipped: a second deploy copies nothing.
"""

from __future__ import annotations

import errno
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pipdream.cli import CommandError
from pipdream.deploy.compile import NATMOD_NAME, MpyAbi
from pipdream.deploy.plan import (
    DEFAULT_MODEL,
    BoardModule,
    Item,
    check_model,
    plan_for,
)

TMP_SUFFIX = ".pipdream-new"  # a file being copied; renamed over the real name once verified
CONTACT_TIMEOUT_S = 10.0  # how long a port may stay silent before it is "not a MicroPython board"


# -- into a folder ----------------------------------------------------------------------------


def write_stage(items: list[Item], directory: Path, log: Callable[[str], None] = print) -> list[str]:
    """Write the files into `directory` as they would be on the board; returns the names written.

    The folder stays bootable at every moment (it may be the board itself: a CIRCUITPY drive):
    every changed file is first written whole under a temporary name, then all are renamed over
    the old ones (each rename is atomic: a module is its old or its new version, never absent or
    torn), and only then are the files that would shadow the new ones removed. A full disk while
    writing removes the temporary files and leaves the previous set as it was: CommandError."""
    directory.mkdir(parents=True, exist_ok=True)
    for left in sorted(directory.rglob("*" + TMP_SUFFIX)):  # an interrupted stage's temporary files
        left.unlink()
    todo = [it for it in items if not _holds(directory / it.name, it.data)]
    staged: list[Path] = []
    try:
        for it in todo:
            tmp = directory / (it.name + TMP_SUFFIX)
            tmp.parent.mkdir(parents=True, exist_ok=True)
            staged.append(tmp)
            _write_synced(tmp, it.data)
    except OSError as e:
        for tmp in staged:
            tmp.unlink(missing_ok=True)
        what = "the disk is full" if e.errno == errno.ENOSPC else e.strerror or str(e)
        raise CommandError(f"cannot write {directory / it.name} ({len(it.data)} bytes): {what}; "
                           f"{directory} keeps its previous files") from None
    for it, tmp in zip(todo, staged):
        os.replace(tmp, directory / it.name)
    for it in items:
        for other in it.shadows:
            if (directory / other).is_file():
                (directory / other).unlink()
                log(f"removed {other} (it would be imported instead of {it.name})")
    return [it.name for it in todo]


def _holds(path: Path, data: bytes) -> bool:
    return path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data


def _write_synced(path: Path, data: bytes) -> None:
    """The whole file on the disk before it is renamed into place (a FAT drive may be unplugged)."""
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


# -- the board over mpremote ---------------------------------------------------------------


def check_port(port: str) -> None:
    """CommandError when the serial port does not exist (deploy's and flash's one message)."""
    if not os.path.exists(port) and not port.startswith(("rfc2217://", "socket://")):
        raise CommandError(f"no board on {port}: the port does not exist (is the board plugged in? "
                           f"`mpremote connect list` shows serial ports; `pipdream emulate` makes one)")


@dataclass
class BoardInfo:
    implementation: str
    version: tuple
    abi: MpyAbi
    mpy_value: int
    platform: str
    block_size: int
    free_blocks: int


@dataclass
class DeployReport:
    copied: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    output: str = ""


class Connection:
    """A board behind mpremote's SerialTransport, in its raw REPL."""

    def __init__(self, port: str, timeout: float | None = None) -> None:
        from mpremote.transport import TransportError
        from mpremote.transport_serial import SerialTransport

        self.port = port
        check_port(port)
        real = os.path.realpath(port)
        if real.startswith("/dev/pts/"):
            port = real  # mpremote reads a pty without its 10 ms polling only under its /dev/pts name
        timeout = CONTACT_TIMEOUT_S if timeout is None else timeout
        try:
            self.t = SerialTransport(port, baudrate=115200, timeout=timeout)
        except TransportError as e:
            raise CommandError(f"no board on {port}: {e}") from None
        try:
            # Ctrl-C stops the app, Ctrl-D gives a fresh interpreter
            self.t.enter_raw_repl(soft_reset=True, timeout_overall=timeout)
        except (TransportError, OSError) as e:
            self.t.close()
            raise CommandError(f"{port} does not answer like a MicroPython board ({e}); is MicroPython on "
                               f"it? (`pipdream flash` for ESP32s, docs/deploy.md for RP2040)") from None

    def info(self) -> BoardInfo:
        name, version, mpy, platform = self.t.eval(
            "(__import__('sys').implementation.name, tuple(__import__('sys').implementation.version), "
            "getattr(__import__('sys').implementation, '_mpy', 0), __import__('sys').platform)")
        try:
            st = self.t.eval("__import__('os').statvfs('/')")
            bsize, bavail = st[1] or st[0], st[4]
        except Exception:  # noqa: BLE001 - no statvfs on this port: unknown free space
            bsize, bavail = 1, 1 << 40
        return BoardInfo(name, version, MpyAbi.from_sys(mpy), mpy, platform, bsize, bavail)

    def listing(self) -> dict[str, int]:
        """{name: size} of the files in "/" (directories left out)."""
        return {e.name: e.st_size for e in self.t.fs_listdir("/") if not e.st_mode & 0x4000}

    def sha256(self, name: str) -> bytes:
        return self.t.fs_hashfile("/" + name, "sha256")

    def exec(self, code: str) -> None:
        self.t.exec(code)

    def close(self) -> None:
        try:
            self.t.close()
        except OSError:
            pass


def _blocks(n: int, bsize: int) -> int:
    return (n + bsize - 1) // bsize


def _check_space(items: list[Item], sizes: dict[str, int], info: BoardInfo) -> None:
    """Walk the copy order: each new file coexists with the old one until the rename."""
    bs = info.block_size
    free = info.free_blocks
    for it in items:
        need = _blocks(len(it.data), bs)
        if need > free:
            total_new = sum(_blocks(len(i.data), bs) for i in items) * bs
            raise CommandError(
                f"the board's filesystem is full: {free * bs // 1024} KiB free, copying {it.name} "
                f"({len(it.data) // 1024 + 1} KiB) needs more (all new files: {total_new // 1024} KiB). "
                f"Remove files with `mpremote rm :NAME` and deploy again.")
        free -= need - _blocks(sizes.get(it.name, 0), bs)


def deploy(board: BoardModule, port: str, *, arch: str | None = None, use_natmod: bool = True,
           model: Path = DEFAULT_MODEL, compile_py: bool = True, watch: float = 6.0, quiet: float = 1.5,
           until: str | None = None, log: Callable[[str], None] = print) -> DeployReport:
    """Copy what the board lacks, verify it, soft-reset and return what the app printed.

    After the reset the board's output is echoed until it has been quiet for `quiet`
    seconds, a line contains `until`, the REPL prompt is back, or `watch` seconds passed."""
    from mpremote.transport import TransportError, TransportExecError

    check_model(model, board)  # a model the board cannot load never leaves the host
    if board.circuitpython:
        raise CommandError(f"{board.name} runs CircuitPython, whose drive is read-only over the serial "
                           f"REPL: use `pipdream deploy --board {board.name} --stage /path/to/CIRCUITPY`")
    conn = Connection(port)
    report = DeployReport()
    try:
        info = conn.info()
        version = ".".join(map(str, info.version[:3]))
        log(f"board on {port}: {info.implementation} {version}, {info.platform}, {info.abi}")
        if info.implementation != "micropython":
            raise CommandError(f"the board on {port} runs {info.implementation}, not MicroPython")
        want = arch or board.natmod_arch
        if use_natmod and want and info.abi.arch != want:
            raise CommandError(
                f"the board on {port} reports {info.abi} (sys.implementation._mpy = {info.mpy_value}), but "
                f"boards/board_{board.name}.py's natmod is {want}: pass the --board that matches it, "
                f"--arch {info.abi.arch} to build for what it reports, or --no-natmod (the app then uses "
                f"viper)")
        if compile_py and info.abi.version != 6:
            log(f"the board runs {info.abi}, mpy-cross makes v6: copying .py sources instead")
            compile_py = False
        items = plan_for(board, want or info.abi.arch, use_natmod=use_natmod, model=model,
                         compile_py=compile_py, log=log)
        natmod = next((i for i in items if i.name == NATMOD_NAME), None)
        if natmod is not None:
            nabi = MpyAbi.from_mpy(natmod.data)
            if nabi != info.abi:
                raise CommandError(
                    f"{natmod.origin} is {nabi} but the board runs {info.abi}: the natmod loads only on "
                    f"MicroPython with the same .mpy version (1.23 or later for v6.3); update the firmware "
                    f"or rebuild with `make -C natmod ARCH={info.abi.arch} MPY_DIR=<your MicroPython>`, "
                    f"or deploy with --no-natmod")
        sizes = conn.listing()
        for name in [n for n in sizes if n.endswith(TMP_SUFFIX)]:
            conn.exec(f"import os\nos.remove({'/' + name!r})")  # left by an interrupted deploy
            report.removed.append(name)
            del sizes[name]
        todo = []
        for it in items:
            if sizes.get(it.name) == len(it.data) and conn.sha256(it.name) == it.sha256:
                report.unchanged.append(it.name)
            else:
                todo.append(it)
        _check_space(todo, sizes, info)
        for it in todo:
            _put(conn, it)
            report.copied.append(it.name)
            log(f"copied {it.name} ({len(it.data)} bytes, sha256 verified) from {it.origin}")
        if not use_natmod and NATMOD_NAME in sizes:
            conn.exec(f"import os\nos.remove({'/' + NATMOD_NAME!r})")
            report.removed.append(NATMOD_NAME)
            log(f"removed {NATMOD_NAME} (--no-natmod)")
        for it in items:
            for other in it.shadows:
                if other in sizes:
                    conn.exec(f"import os\nos.remove({'/' + other!r})")
                    report.removed.append(other)
                    log(f"removed {other} (it would be imported instead of {it.name})")
        if not todo:
            log("nothing to copy: the board already has every file")
        report.output = _reset_and_listen(conn, watch, quiet, until, log)
    except TransportExecError as e:
        last = (e.error_output.strip().splitlines() or ["?"])[-1]
        if _is_enospc(last):
            raise CommandError("the board's filesystem is full (ENOSPC while copying): remove files with "
                               "`mpremote rm :NAME` and deploy again") from None
        raise CommandError(f"the board reported an error: {last}") from None
    except TransportError as e:
        raise CommandError(f"lost the board on {port}: {e}") from None
    finally:
        conn.close()
    return report


def _is_enospc(line: str) -> bool:
    """MicroPython says "OSError: [Errno 28] ENOSPC" (or "OSError: 28" on small ports)."""
    line = line.strip()
    return line.startswith("OSError") and ("ENOSPC" in line or line.endswith((": 28", "[Errno 28]")))


def _put(conn: Connection, it: Item) -> None:
    """Write under a temporary name, check the hash on the board, rename over the real name."""
    from mpremote.transport import TransportExecError

    tmp = "/" + it.name + TMP_SUFFIX
    try:
        conn.t.fs_writefile(tmp, it.data)
    except OSError as e:
        _remove_quietly(conn, tmp)
        if e.errno == 28:
            raise CommandError(f"the board's filesystem is full: {it.name} ({len(it.data)} bytes) does not "
                               f"fit; remove files with `mpremote rm :NAME` and deploy again") from None
        raise CommandError(f"could not write {it.name} on the board: {e}") from None
    got = conn.t.fs_hashfile(tmp, "sha256")
    if got != it.sha256:
        _remove_quietly(conn, tmp)
        raise CommandError(f"{it.name}: the copy on the board has sha256 {got.hex()[:16]}..., not "
                           f"{it.sha256.hex()[:16]}...: the serial link corrupts data; try again")
    try:
        conn.exec(f"import os\nos.rename({tmp!r}, {'/' + it.name!r})")
    except TransportExecError:
        # FAT cannot rename over a file (littlefs can, atomically): remove first.
        conn.exec(f"import os\nos.remove({'/' + it.name!r})\nos.rename({tmp!r}, {'/' + it.name!r})")


def _remove_quietly(conn: Connection, path: str) -> None:
    try:
        conn.exec(f"import os\ntry:\n os.remove({path!r})\nexcept OSError:\n pass")
    except Exception:  # noqa: BLE001 - best effort while reporting another error
        pass


def _reset_and_listen(conn: Connection, watch: float, quiet: float, until: str | None,
                      log: Callable[[str], None]) -> str:
    """Soft-reset from the friendly REPL (so main.py runs) and echo what the board prints."""
    serial = conn.t.serial
    conn.t.exit_raw_repl()  # \r\x02: friendly REPL
    time.sleep(0.05)
    while serial.inWaiting():
        serial.read(serial.inWaiting())
    serial.write(b"\x04")  # soft reset: boot.py, main.py
    log("soft reset: the board says")
    buf = b""
    shown = 0
    t0 = last = time.monotonic()
    while time.monotonic() - t0 < watch:
        n = serial.inWaiting()
        if n:
            buf += serial.read(n)
            last = time.monotonic()
            text = buf.decode(errors="replace")
            while "\n" in text[shown:]:
                end = text.index("\n", shown)
                line = text[shown:end].rstrip("\r")
                if line and line != "MPY: soft reboot":
                    log("  " + line)
                shown = end + 1
                if until is not None and until in line:
                    return buf.decode(errors="replace").replace("\r\n", "\n")
            if text.endswith(">>> "):
                break  # main.py ended (or there is none): the REPL is back
        elif buf and until is None and time.monotonic() - last > quiet:
            break
        else:
            time.sleep(0.02)
    return buf.decode(errors="replace").replace("\r\n", "\n")
