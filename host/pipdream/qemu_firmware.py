"""Real MicroPython firmware in qemu (../shared/firmware): boot a board, drive its raw REPL with
mpremote's own SerialTransport, load a native .mpy into RAM (the qemu boards have no filesystem).

    with QemuBoard(MACHINES["virt-rv32"], firmware_dir / MACHINES["virt-rv32"].firmware) as board:
        board.put("blob", blob_bytes)                 # a bytearray named `blob` on the board
        board.load_module("pipnet", mpy_bytes)        # import pipnet from those bytes
        board.exec("print(pipnet.Model(blob).info())")

Loading follows upstream's tests/run-natmodtests.py: the .mpy's bytes go over the raw REPL into
a bytearray, a tiny VFS whose open() serves them is mounted, and `import` reads it from there.
Every transfer is checked on the board by SHA-256. The microbit target's UART drops bytes under
long output, so `exec(..., check=...)` repeats a command whose reply fails the caller's check.

Every wait is bounded: the emulator's start, the raw REPL's prompt, each reply (mpremote's
per-character timeout); when one runs out, FirmwareError says what it was waiting for. With
`icount=True` qemu runs `-icount shift=0`: its virtual clock advances 1 ns per guest instruction,
so `time.ticks_us()` on the board counts thousands of instructions (the emulator's instruction
count, not a real chip's cycles), whatever the speed of the host.
"""

from __future__ import annotations

import binascii
import hashlib
import re
import select
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

BOOT_TIMEOUT_S = 20.0  # qemu printing its pty, and the raw REPL's first prompt
REPLY_TIMEOUT_S = 30.0  # the longest silence within one reply
SERIAL_READ_TIMEOUT_S = 5.0  # one blocking read of the pty (the raw-paste handshake)
CHUNK = 3072  # raw bytes per transfer command (4 KB of base64)


class FirmwareError(RuntimeError):
    """The emulated board did not do what was asked; the message says what was awaited and what came."""


@dataclass(frozen=True)
class QemuMachine:
    """One qemu board of ../shared/firmware/README.md: its firmware file and qemu command."""

    name: str
    firmware: str  # file name in the firmware folder
    qemu: tuple[str, ...]  # the command, without -kernel
    natmod_arch: str  # the natmod architecture it loads
    lossy_uart: bool = False  # drops bytes under long output: check each reply


_COMMON = ("-semihosting", "-nographic", "-monitor", "null", "-serial", "pty")
MACHINES = {m.name: m for m in (
    QemuMachine("mps2-an385", "qemu-mps2-an385-1.29pre.elf",
                ("qemu-system-arm", "-machine", "mps2-an385", *_COMMON), "armv6m"),
    QemuMachine("microbit", "qemu-microbit-native-1.29pre.elf",
                ("qemu-system-arm", "-machine", "microbit", "-global", "nrf51-soc.flash-size=1048576",
                 "-global", "nrf51-soc.sram-size=262144", *_COMMON), "armv6m", lossy_uart=True),
    QemuMachine("virt-rv32", "qemu-virt-rv32-1.29pre.elf",
                ("qemu-system-riscv32", "-machine", "virt", "-bios", "none", "-cpu", "rv32", *_COMMON),
                "rv32imc"),
)}

# On the board: a read-only VFS serving the bytearrays in __pd_files (upstream's natmod test hook).
_VFS_HOOK = """
import io, sys, vfs
class __PdFile(io.IOBase):
    def __init__(self, data):
        self.data = data
        self.off = 0
    def ioctl(self, request, arg):
        return 0
    def readinto(self, buf):
        n = min(len(buf), len(self.data) - self.off)
        buf[:n] = memoryview(self.data)[self.off:self.off + n]
        self.off += n
        return n
class __PdFS:
    def mount(self, readonly, mkfs):
        pass
    def umount(self):
        pass
    def chdir(self, path):
        pass
    def stat(self, path):
        if path.lstrip('/') in __pd_files:
            return (0x8000, 0, 0, 0, 0, 0, len(__pd_files[path.lstrip('/')]), 0, 0, 0)
        raise OSError(2)  # ENOENT
    def open(self, path, mode):
        return __PdFile(__pd_files[path.lstrip('/')])
"""


class QemuBoard:
    """A qemu board running MicroPython, its REPL on a pseudo-terminal, in the raw REPL."""

    def __init__(self, machine: QemuMachine, firmware: Path, *, icount: bool = False,
                 reply_timeout: float = REPLY_TIMEOUT_S, boot_timeout: float = BOOT_TIMEOUT_S) -> None:
        from mpremote.transport_serial import SerialTransport

        exe = shutil.which(machine.qemu[0])
        if exe is None:
            raise FirmwareError(f"no {machine.qemu[0]}: scripts/setup.sh installs Debian's qemu-system-arm "
                                f"and qemu-system-misc")
        self.machine = machine
        self.reply_timeout = reply_timeout
        self.boot_timeout = boot_timeout
        cmd = [exe, *machine.qemu[1:], "-kernel", str(firmware)] + (["-icount", "shift=0"] if icount else [])
        self._proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT)
        self._said = b""
        try:
            pty = self._wait_for_pty()
            threading.Thread(target=self._drain, daemon=True).start()
            self.transport = SerialTransport(pty, timeout=SERIAL_READ_TIMEOUT_S)
            try:
                self.transport.enter_raw_repl(soft_reset=False, timeout_overall=boot_timeout)
            except Exception as e:
                raise FirmwareError(f"{machine.name}: no raw REPL prompt on {pty} within "
                                    f"{boot_timeout:g} s ({e})") from None
            self.exec("__pd_files = {}")
        except BaseException:
            self.close()
            raise

    # -- the emulator ------------------------------------------------------------------------

    def _wait_for_pty(self) -> str:
        assert self._proc.stdout is not None
        deadline = time.monotonic() + self.boot_timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self._proc.stdout], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                break
            chunk = self._proc.stdout.read1(4096)
            if not chunk:
                break  # qemu exited
            self._said += chunk
            found = re.search(rb"char device redirected to (/dev/pts/\d+)", self._said)
            if found:
                return found.group(1).decode()
        said = self._said.decode(errors="replace").strip() or "nothing"
        raise FirmwareError(f"{self.machine.name}: qemu printed no pseudo-terminal within "
                            f"{self.boot_timeout:g} s (it said: {said})")

    def _drain(self) -> None:
        assert self._proc.stdout is not None
        for chunk in iter(lambda: self._proc.stdout.read1(4096), b""):
            self._said += chunk

    def close(self) -> None:
        transport = getattr(self, "transport", None)
        if transport is not None:
            try:
                transport.close()
            except OSError:
                pass
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait(timeout=10)

    def __enter__(self) -> QemuBoard:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the raw REPL ----------------------------------------------------------------------

    def exec(self, code: str, *, check: Callable[[str], bool] | None = None, attempts: int = 4,
             what: str = "the reply", timeout: float | None = None) -> str:
        """Run `code` in the raw REPL; its output (str). A traceback raises FirmwareError with it.

        `check(output)` says whether a reply came whole; one that fails is asked for again, up to
        `attempts` times (the microbit's UART drops bytes), then FirmwareError."""
        from mpremote.transport import TransportError

        wait = self.reply_timeout if timeout is None else timeout
        out, lost = "", ""
        for _ in range(attempts if check else 1):
            try:
                raw, err = self.transport.exec_raw(code, timeout=wait)
            except TransportError as e:
                lost = (f"waited {wait:.0f} s for {what} and it did not come ({e}); "
                        f"the code began {code.strip()[:80]!r}")
                if not (check and self.machine.lossy_uart):
                    raise FirmwareError(f"{self.machine.name}: {lost}") from None
                self._resync()  # a dropped end-of-reply byte: back to the raw REPL's prompt, ask again
                continue
            if err:
                raise FirmwareError(f"{self.machine.name}: {what}: the board raised\n"
                                    f"{err.decode(errors='replace').strip()}")
            out = raw.decode(errors="replace")
            if check is None or check(out):
                return out
        last = lost or f"{len(out)} characters, ending {out[-60:]!r}"
        raise FirmwareError(f"{self.machine.name}: {what} came short or garbled {attempts} times "
                            f"(last: {last})")

    def _resync(self) -> None:
        try:
            self.transport.enter_raw_repl(soft_reset=False, timeout_overall=self.boot_timeout)
        except Exception as e:
            raise FirmwareError(f"{self.machine.name}: no raw REPL prompt within {self.boot_timeout:g} s "
                                f"after a lost reply ({e})") from None

    def put(self, name: str, data: bytes) -> None:
        """A bytearray called `name` on the board holding `data`, checked there by SHA-256."""
        self.exec(f"{name} = bytearray({len(data)})")
        for off in range(0, len(data), CHUNK):
            text = binascii.b2a_base64(data[off:off + CHUNK], newline=False).decode()
            self.exec(f"import binascii\n{name}[{off}:{off + CHUNK}] = binascii.a2b_base64('{text}')",
                      what=f"bytes {off}.. of {name}")
        want = hashlib.sha256(data).hexdigest()
        got = self.exec(f"import hashlib, binascii\nprint(binascii.hexlify(hashlib.sha256({name}).digest()))",
                        check=lambda out: len(out.strip()) == 67, what=f"the SHA-256 of {name}").strip()
        if got != f"b'{want}'":
            raise FirmwareError(f"{self.machine.name}: {name} arrived as {got}, sent {want}")

    def load_module(self, module: str, mpy: bytes) -> None:
        """`import module` on the board from the bytes of its .mpy (a native module or bytecode)."""
        self.put("__pd_mpy", mpy)
        self.exec(_VFS_HOOK + f"""
__pd_files[{module + '.mpy'!r}] = __pd_mpy
vfs.mount(__PdFS(), '/__pd')
sys.path.insert(0, '/__pd')
try:
    import {module}
finally:
    sys.path.remove('/__pd')
    vfs.umount('/__pd')
    del __pd_files[{module + '.mpy'!r}], __pd_mpy
""", what=f"the import of {module}")
