# rp2thread: `_thread` on the simulated Pico, as the rp2 port has it (simboard's import hook hands
# it to `import _thread` when the board profile's port is "rp2"; the esp32 profiles keep the unix
# port's _thread, as the esp32 port runs any number of threads under a GIL).
#
# ports/rp2/mpthreadport.c, mp_thread_create: one thread only, on core 1: a second start while the
# first runs raises OSError "core1 in use" (core1_entry is cleared when the function returns,
# core1_entry_wrapper); its stack comes from the MicroPython heap (m_new, 4096 bytes by default,
# 2048 at least: a MemoryError when the heap is full); start_new_thread returns 2 and get_ident()
# is the core number + 1 (mp_thread_get_id).
#
# The simulated core 1 is a host thread. On the chip it runs at once, beside core 0; here
# start_new_thread returns once the thread has reached its first blocking lock acquire (or
# returned), so what core 1 does first is done before core 0 looks, whatever the host's speed.
# Board profile "core1": "never" makes a core 1 that never runs its function (as under rp2040js,
# which emulates one core): start_new_thread succeeds and core 1 stays taken.

import sys

import firmware
import simboard as _sb

_t = firmware.module("_thread")
_busy = [False]  # core1_entry != NULL
_ident = [None]  # the host thread playing core 1
_launch = [None]  # the lock start_new_thread waits on until core 1 first waits (or returns)
_stack = [None, 4096]  # core 1's stack (from the heap) and the size the next start takes


def _checkin():
    lock = _launch[0]
    if lock is not None and _t.get_ident() == _ident[0]:
        _launch[0] = None
        lock.release()


class LockType:
    def __init__(self):
        self._lock = _t.allocate_lock()

    def acquire(self, waitflag=1, timeout=-1):
        if waitflag:
            _checkin()
        return self._lock.acquire(waitflag)

    def release(self):
        self._lock.release()

    def locked(self):
        return self._lock.locked()

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()


def allocate_lock():
    return LockType()


def get_ident():
    return 2 if _ident[0] is not None and _t.get_ident() == _ident[0] else 1


def stack_size(size=None):
    old = _stack[1]
    if size is not None:
        _stack[1] = max(2048, int(size) // 4 * 4) if size else 4096
    return old


def _entry(fn, args, kwargs):
    _ident[0] = _t.get_ident()
    try:
        fn(*args, **kwargs)
    except SystemExit:
        pass
    except BaseException as e:  # as modthread.c's thread_entry reports it
        print("Unhandled exception in thread started by", fn)
        sys.print_exception(e)
    finally:
        _ident[0] = None
        _busy[0] = False  # core1_entry_wrapper: core1_entry = NULL
        _checkin_end()


def _checkin_end():
    lock = _launch[0]
    if lock is not None:
        _launch[0] = None
        lock.release()


def start_new_thread(fn, args, kwargs=None):
    if _busy[0]:
        raise OSError("core1 in use")
    _stack[0] = bytearray(_stack[1])  # m_new(uint32_t, core1_stack_num_words)
    _busy[0] = True
    if _sb.board.get("core1") == "never":
        return 2
    lock = _t.allocate_lock()
    lock.acquire()
    _launch[0] = lock
    _t.start_new_thread(_entry, (fn, args, kwargs or {}))
    lock.acquire()  # core 1 has reached its first wait (or returned)
    return 2


def exit():
    raise SystemExit
