"""One pipnet.Model shared between threads (real _thread on the MicroPython unix runtime, which
has no GIL: the threads run at once, as the rp2 port's two cores do): a call on a Model that is
busy in another thread raises RuntimeError, never gives a wrong image; generate_part's sync
buffer may not be part of its output."""

from __future__ import annotations

from pathlib import Path

import pytest
from pipdream import micropython as mpy
from support.natmod import arch_blob_fixture, natmod_fixture  # noqa: F401 - fixtures

BUSY = "RuntimeError: this pipnet.Model is generating in another thread"


def run(natmod: Path, script: str, blob: bytes) -> list[str]:
    return mpy.run(script, files={"pipnet.mpy": natmod, "m.blob": blob}, heapsize="1M").splitlines()


HAMMER = """
import _thread, time, pipnet
m = pipnet.Model(open("m.blob", "rb").read(), pipnet.%s)
ROUNDS = 3000
def rows(face, out):  # generate_rows into out
    def put(y, x, px):
        out[32 * y + x:32 * y + x + len(px)] = px
    m.generate_rows(face, 40, put)
want = {}
for face in (1, 6):
    out = bytearray(1024)
    m.generate(face, 40, out)
    want[face] = bytes(out)
tally = {}  # (thread face, outcome) -> calls
done = []
def hammer(face):
    out = bytearray(1024)
    for _ in range(ROUNDS):
        try:
            %s
            what = "right" if out == want[face] else "WRONG"
        except RuntimeError as e:
            what = str(e)[:40]
        key = (face, what)
        tally[key] = tally.get(key, 0) + 1
    done.append(face)
_thread.start_new_thread(hammer, (6,))
hammer(1)
while len(done) < 2:
    time.sleep_ms(1)
for key in sorted(tally):
    print(key[0], tally[key], key[1])
"""


@pytest.mark.parametrize("plan, call", [("STREAM", "m.generate(face, 40, out)"),
                                        ("FULL", "m.generate(face, 40, out)"),
                                        ("STREAM", "rows(face, out)"), ("FULL", "rows(face, out)")])
def test_two_threads_on_one_model_get_right_images_or_a_busy_error_never_a_wrong_image(natmod, arch_blob,
                                                                                        plan, call):
    lines = run(natmod, HAMMER % (plan, call), arch_blob)
    outcomes = {line.split(" ", 2)[2] for line in lines}
    assert "WRONG" not in outcomes, lines
    assert outcomes <= {"right", "this pipnet.Model is generating in anoth",
                        "the model was used inside its own generate"}, lines
    assert sum(int(line.split()[1]) for line in lines) == 2 * 3000


@pytest.mark.parametrize("module", ["pdinfer_viper", "pdinfer_py"])
@pytest.mark.parametrize("call", ["m.generate(face, 40, out)", "rows(face, out)"])
def test_the_fallback_backends_refuse_a_second_thread_alike(arch_blob, module, call):
    rounds = 40 if module == "pdinfer_viper" else 4
    script = (HAMMER % ("STREAM", call)).replace(
        "import _thread, time, pipnet\nm = pipnet.Model(open(\"m.blob\", \"rb\").read(), pipnet.STREAM)\n"
        "ROUNDS = 3000",
        f"import _thread, time, {module}\nm = {module}.Model(open(\"m.blob\", \"rb\").read())\n"
        f"ROUNDS = {rounds}")
    assert module in script
    lines = mpy.run(script, path=[mpy.DEVICE_DIR], files={"m.blob": arch_blob}, heapsize="1M").splitlines()
    outcomes = {line.split(" ", 2)[2] for line in lines}
    assert "WRONG" not in outcomes, lines
    assert outcomes <= {"right", "this Model is generating in another thre",
                        "the model was used inside its own generate"}, lines
    assert sum(int(line.split()[1]) for line in lines) == 2 * rounds


def test_generate_while_another_thread_is_inside_generate_part_is_refused(natmod, arch_blob):
    """Thread A's generate_part(part 0 of 2) waits at the barrier for a partner that never comes
    (until its spin limit; while the main thread's generate runs, A is refused and tries again):
    while A is inside, generate on the same Model must be refused; once A has given up, the Model
    works again."""
    script = """
import _thread, time, pipnet
m = pipnet.Model(open("m.blob", "rb").read(), pipnet.FULL)
a = []
def part0():
    while True:
        try:
            m.generate_part(2, 0, bytearray(1024), 0, 2, bytearray(2))
            a.append("returned")
        except RuntimeError as e:
            if "barrier" not in str(e):
                continue  # refused: the main thread's generate was running; try again
            a.append(str(e))
        return
_thread.start_new_thread(part0, ())
out = bytearray(1024)
said = None
while not a:
    try:
        m.generate(3, 0, out)
    except RuntimeError as e:
        said = "RuntimeError: " + str(e)
print(said)
print(a[0])
m.generate(3, 0, out)
print("works again")
"""
    lines = run(natmod, script, arch_blob)
    assert lines[0].startswith(BUSY), lines
    assert lines[1] == "generate_part: another core did not reach the barrier", lines
    assert lines[2] == "works again"


def test_generate_part_refuses_a_sync_buffer_inside_its_output(natmod, arch_blob):
    script = """
import pipnet
m = pipnet.Model(open("m.blob", "rb").read(), pipnet.FULL)
frame = bytearray(1026)
for sync in (memoryview(frame)[0:1], memoryview(frame)[1023:1025], memoryview(frame)[500:502]):
    try:
        m.generate_part(1, 0, memoryview(frame)[:1024], 0, 1, sync)
        print("no error")
    except ValueError as e:
        print("ValueError:", e)
m.generate_part(1, 0, memoryview(frame)[:1024], 0, 1, memoryview(frame)[1024:])  # beside it: fine
print("beside: ok")
"""
    lines = run(natmod, script, arch_blob)
    assert lines == ["ValueError: sync overlaps out: pass its own bytearray(parts)"] * 3 + ["beside: ok"]


def test_two_threads_splitting_every_image_stay_right_and_leave_the_model_free(natmod, arch_blob):
    """pdcores' use: thread 1 runs part 1 and the main thread part 0 of each of 200 images. The
    two enter and leave together at every image; every image is the whole generate's, neither is
    ever refused, and the Model is free for a whole generate afterwards. (Each part has its own
    busy byte: a shared count would be read-modify-written by both at once, which on the
    Cortex-M0+, without atomics, could leave it stuck and refuse every later image.)"""
    script = """
import _thread, pipnet
m = pipnet.Model(open("m.blob", "rb").read(), pipnet.FULL)
N = 200
want = bytearray(1024)
m.generate(4, 17, want)
out = bytearray(1024)
sync = bytearray(2)
go = _thread.allocate_lock(); go.acquire()
done = _thread.allocate_lock(); done.acquire()
errors = []
def core1():
    for _ in range(N):
        go.acquire()
        try:
            m.generate_part(4, 17, out, 1, 2, sync)
        except Exception as e:
            errors.append(repr(e))
        done.release()
_thread.start_new_thread(core1, ())
right = 0
for _ in range(N):
    out[:] = bytes(1024)
    go.release()
    m.generate_part(4, 17, out, 0, 2, sync)
    done.acquire()
    right += out == want
print(right, errors)
again = bytearray(1024)
m.generate(4, 17, again)
print(again == want)
"""
    assert run(natmod, script, arch_blob) == ["200 []", "True"]


def test_a_part_index_is_held_by_one_caller_at_a_time(natmod, arch_blob):
    """Two callers of part 0 would share its rows: the second is refused while the first waits
    at the barrier; part 1 is accepted (and releases the first)."""
    script = """
import _thread, time, pipnet
m = pipnet.Model(open("m.blob", "rb").read(), pipnet.FULL)
sync = bytearray(2)
out = bytearray(1024)
a = []
def first():
    m.generate_part(2, 0, out, 0, 2, sync)
    a.append("first done")
_thread.start_new_thread(first, ())
time.sleep_ms(20)
try:
    m.generate_part(2, 0, bytearray(1024), 0, 2, bytearray(2))
    print("second part 0 ran")
except RuntimeError as e:
    print("RuntimeError: " + str(e))
m.generate_part(2, 0, out, 1, 2, sync)
while not a:
    time.sleep_ms(1)
print(a[0])
"""
    lines = run(natmod, script, arch_blob)
    assert lines[0].startswith(BUSY), lines
    assert lines[1] == "first done", lines
