# The MicroPython side of the board emulator: runs inside the real unix port.
#
#   micropython -X heapsize=N board_runner.py CMD_FD STATUS_FD PAYLOAD ROOT FLASH_BYTES \
#       [SUPPORT_DIR [MODULE ...]]
#
# It makes the process look like a board after reset: the modules the board
# has built in (the simulation's `machine`) are imported from SUPPORT_DIR,
# then ROOT is mounted as "/" through board_fs.FlashVfs (the board's
# littlefs, FLASH_BYTES big), cwd is "/" and
# sys.path is the firmware's.  The host-side emulator (pyexec.py) owns the
# REPL; this loop only executes what it is told and reports how it ended.
#
# Protocol.  The host writes a command into the file PAYLOAD, then one
# trigger byte on CMD_FD (a one-byte read cannot be torn by a Ctrl-C signal,
# a many-byte pipe read can).  PAYLOAD holds: op (1 byte), seq (u32 LE),
# source text.  Ops:
#   x  exec the source as a file input (raw REPL, raw paste, paste mode)
#   s  exec the source as a single REPL input (friendly REPL: echoes values)
#   f  run the file named by the source if it exists (boot.py, main.py)
#   d  hand back the stdin bytes the program did not read
# Each command answers one status on STATUS_FD: kind (1 byte), seq (u32 LE),
# length (u32 LE), data.  Kinds:
#   R ready (sent once, seq 0)  O ran to the end  E exception (traceback)
#   X SystemExit (the firmware soft-resets)  N no such file  D stdin bytes
# Program output goes to stdout, as on the board's UART; the host frames it.
import sys

import vfs

_ARGV = list(sys.argv)
_ME = _ARGV[0]
_cmd = open(int(_ARGV[1]), "rb")
_status = open(int(_ARGV[2]), "wb")
_payload = open(_ARGV[3], "rb")  # opened before "/" moves; the host rewrites it in place
sys.path.insert(0, _ME.rpartition("/")[0] or ".")
import board_fs  # noqa: E402

if len(_ARGV) > 6:
    sys.path.insert(0, _ARGV[6])
    for _name in _ARGV[7:]:
        __import__(_name)  # built into the board's firmware: import before "/" moves

import io  # noqa: E402
import os  # noqa: E402
import select  # noqa: E402

vfs.umount("/")
vfs.mount(board_fs.FlashVfs(_ARGV[4], int(_ARGV[5])), "/")
os.chdir("/")
sys.path.clear()
sys.path.extend(["", ".frozen", "/lib"])
sys.argv.clear()
del sys.modules["board_fs"]

_globals = {"__name__": "__main__"}
_KBD = b"KeyboardInterrupt: \n"


def _msg(kind, seq, data=b""):
    n = len(data)
    return bytes([ord(kind)]) + seq + bytes([n & 255, (n >> 8) & 255, (n >> 16) & 255, n >> 24]) + data


def _traceback(exc):
    buf = io.StringIO()
    sys.print_exception(exc, buf)
    # Drop the frames of this runner and of the built-in stand-ins: on a board the REPL and the
    # built-in modules are C, not Python code.
    skip = [f'  File "{_ME}"'] + ([f'  File "{_ARGV[6]}/'] if len(_ARGV) > 6 else [])
    lines = buf.getvalue().split("\n")
    return "\n".join([ln for ln in lines if not any(ln.startswith(s) for s in skip)]).encode()


def _execute(op, seq, src):
    try:
        if op == "f":
            name = src.decode()
            try:
                with open(name) as f:
                    text = f.read()
            except OSError:
                return _msg("N", seq)
            _globals["__file__"] = name
            exec(compile(text, name, "exec"), _globals)
        elif op == "d":
            return _msg("D", seq, _drain_stdin())
        else:
            _globals["__file__"] = "<stdin>"
            exec(compile(src, "<stdin>", "exec" if op == "x" else "single"), _globals)
        return _msg("O", seq)
    except SystemExit:
        return _msg("X", seq)
    except BaseException as e:  # noqa: B036 - a board reports every exception, KeyboardInterrupt too
        return _msg("E", seq, _traceback(e))


def _drain_stdin():
    poller = select.poll()
    poller.register(sys.stdin, select.POLLIN)
    out = bytearray()
    while True:
        ev = poller.poll(0)
        if not ev or not ev[0][1] & select.POLLIN:
            return bytes(out)
        b = sys.stdin.buffer.read(1)
        if not b:
            return bytes(out)
        out.extend(b)


def _read_cmd():
    # No jump between the two reads: MicroPython raises a pending
    # KeyboardInterrupt only at jumps, so a trigger byte is never lost.
    trigger = _cmd.read(1)
    _payload.seek(0)
    return trigger, _payload.read()


def _serve():
    reply = _msg("R", b"\0\0\0\0")
    cmd = None
    while True:
        # A Ctrl-C meant for a program that has just ended can land here;
        # each step's state lives in variables so the loop can go on.
        try:
            if reply is not None:
                _status.write(reply)
                reply = None
            if cmd is None:
                cmd = _read_cmd()
            if not cmd[0]:
                return  # the emulator went away
            op, seq, src = chr(cmd[1][0]), cmd[1][1:5], cmd[1][5:]
            reply, cmd = _msg("E", seq, _KBD), None  # one step: started, and the answer if interrupted
            reply = _execute(op, seq, src)
        except KeyboardInterrupt:
            pass


_serve()
