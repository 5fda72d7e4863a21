"""What every inference backend on the board promises, written once and run on each
(the pipnet natmod, viper, pure Python; all on the real MicroPython unix runtime):
bad arguments raise TypeError or ValueError with a message (never a crash), a
mutable blob is copied, and generating allocates nothing on the heap."""

from __future__ import annotations

import pytest
from conftest import default_arch_model
from pipdream import micropython as mpy
from pipdream import reference
from pipdream.blob import load, pack

BACKENDS = {"natmod": "pipnet", "viper": "pdinfer_viper", "python": "pdinfer_py"}  # backend -> module


@pytest.fixture(scope="module")
def arch_blob() -> bytes:
    return pack(default_arch_model(9))


def run(backend: str, script: str, blob: bytes) -> str:
    """Run `script` with the backend's module imported as `backend` and m.blob beside it."""
    path = [mpy.DEVICE_DIR, mpy.natmod_mpy("x64").parent]
    return mpy.run(f"import {BACKENDS[backend]} as backend\n" + script, path=path,
                   files={"m.blob": blob}, heapsize="256k")


# ---- bad arguments -------------------------------------------------------------------------

# (call, exception) for the Model every backend has; `M` is its class, `m` a model
MODEL_CALLS = [
    ("M(42)", "TypeError"),
    ("M(blob[:-1])", "BlobError"),  # the natmod's is a ValueError (see expected())
    ("m.generate(0, 0, out)", "ValueError"),
    ("m.generate(7, 0, out)", "ValueError"),
    ("m.generate(1, 128, out)", "ValueError"),
    ("m.generate(1, -128, out)", "ValueError"),
    ("m.generate(1 << 64, 0, out)", "ValueError"),
    ("m.generate(1.0, 0, out)", "TypeError"),
    ("m.generate('1', 0, out)", "TypeError"),
    ("m.generate(1, None, out)", "TypeError"),
    ("m.generate(1, '0', out)", "TypeError"),
    ("m.generate(1, 0, bytes(1024))", "TypeError"),  # read-only
    ("m.generate(1, 0, bytearray(1023))", "ValueError"),  # short
    ("m.generate(1, 0, 1024)", "TypeError"),
    ("m.generate(1, 0)", "TypeError"),
    ("m.generate_rows(9, 0, print)", "ValueError"),
]

# the natmod's own: its plan argument and the low-level layer functions
NATMOD_CALLS = [
    ("M(blob, 2)", "ValueError"),
    ("M(blob, plan='full')", "TypeError"),
    ("M(blob, nope=1)", "TypeError"),
    ("m.generate(1, 0, memoryview(bytes(1024)))", "TypeError"),  # read-only view
    ("m.generate_rows(1, 0, 5)", "TypeError"),  # not callable
    ("backend.fc(b'1234567', bytearray(4), (4, 1, 1), w, b4, m4, s4[:3])", "ValueError"),  # short shift
    ("backend.fc(b'1234567', bytes(4), (4, 1, 1), w, b4, m4, s4)", "TypeError"),  # read-only y
    ("backend.fc(b'1234567', bytearray(4), (4, 1), w, b4, m4, s4)", "ValueError"),  # bad shape
    ("backend.fc(b'1234567', bytearray(4), 4, w, b4, m4, s4)", "TypeError"),
    ("backend.fc(b'1234567', bytearray(4), (4, 1, 1), w, b4, bytes(8), s4)", "ValueError"),  # mult 0
    ("backend.fc(b'1234567', bytearray(4), (4, 1, 1), b'\\x80' * 28, b4, m4, s4)", "ValueError"),
    ("backend.conv(bytes(16), (1, 4, 4), bytearray(16), (1, 4, 4), bytes(9), bytes(4), m1, s1, 3, 1, 3)",
     "ValueError"),  # padding >= kernel
    ("backend.conv(bytes(16), (1, 4, 4), bytearray(16), (1, 5, 4), bytes(9), bytes(4), m1, s1, 3, 1, 1)",
     "ValueError"),  # output shape does not follow
    ("backend.convt(bytes(16), (1, 4, 4), bytearray(64), (1, 8, 8), bytes(9), bytes(4), m1, s1, 3, 2, 1, 2)",
     "ValueError"),  # output_padding >= stride
]


def expected(backend: str, exc: str) -> str:
    return "ValueError" if backend == "natmod" and exc == "BlobError" else exc


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_bad_arguments_raise_type_or_value_error_with_a_message(arch_blob, backend):
    calls = MODEL_CALLS + (NATMOD_CALLS if backend == "natmod" else [])
    script = "\n".join([
        'blob = open("m.blob", "rb").read()',
        "M = backend.Model",
        "m = M(blob)",
        "out = bytearray(1024)",
        'w, b4, m4, s4 = bytes(28), bytes(16), b"\\x00\\x10" * 4, bytes(4)',
        'm1, s1 = b"\\x00\\x10", bytes(1)',
        "def check(call):",
        "    try:",
        "        eval(call)",
        '        print("no error:", call)',
        "    except Exception as e:",
        '        print(type(e).__name__ + ":", e)',
        *(f"check({call!r})" for call, _ in calls),
    ])
    lines = run(backend, script, arch_blob).splitlines()
    assert len(lines) == len(calls)
    for (call, exc), line in zip(calls, lines):
        want = expected(backend, exc)
        assert line.startswith(want + ": ") and len(line) > len(want) + 5, f"{call} -> {line}"


# MODEL_CALLS and NATMOD_CALLS with every argument made before the heap is locked
LOCKED_SETUP = ("ro, short, big, rview = bytes(1024), bytearray(1023), 1 << 64, memoryview(bytes(1024))\n"
                "s3, y4, yro, z8, w80 = s4[:3], bytearray(4), bytes(4), bytes(8), b'\\x80' * 28\n"
                "x16, y16, w9, y64 = bytes(16), bytearray(16), bytes(9), bytearray(64)")
LOCKED_CALLS = [
    ("m.generate(0, 0, out)", "ValueError"),
    ("m.generate(7, 0, out)", "ValueError"),
    ("m.generate(1, 128, out)", "ValueError"),
    ("m.generate(1, -128, out)", "ValueError"),
    ("m.generate(big, 0, out)", "ValueError"),
    ("m.generate(1.0, 0, out)", "TypeError"),
    ("m.generate('1', 0, out)", "TypeError"),
    ("m.generate(1, None, out)", "TypeError"),
    ("m.generate(1, 0, ro)", "TypeError"),
    ("m.generate(1, 0, short)", "ValueError"),
    ("m.generate(1, 0, 1024)", "TypeError"),
    ("m.generate_rows(9, 0, print)", "ValueError"),
]
LOCKED_NATMOD_CALLS = [
    ("m.generate(1, 0, rview)", "TypeError"),
    ("m.generate_rows(1, 0, 5)", "TypeError"),
    ("backend.fc(b'1234567', y4, (4, 1, 1), w, b4, m4, s3)", "ValueError"),
    ("backend.fc(b'1234567', yro, (4, 1, 1), w, b4, m4, s4)", "TypeError"),
    ("backend.fc(b'1234567', y4, (4, 1), w, b4, m4, s4)", "ValueError"),
    ("backend.fc(b'1234567', y4, 4, w, b4, m4, s4)", "TypeError"),
    ("backend.fc(b'1234567', y4, (4, 1, 1), w, b4, z8, s4)", "ValueError"),
    ("backend.fc(b'1234567', y4, (4, 1, 1), w80, b4, m4, s4)", "ValueError"),
    ("backend.conv(x16, (1, 4, 4), y16, (1, 4, 4), w9, yro, m1, s1, 3, 1, 3)", "ValueError"),
    ("backend.convt(x16, (1, 4, 4), y64, (1, 8, 8), w9, yro, m1, s1, 3, 2, 1, 2)", "ValueError"),
    ("m.generate_part(1, 0, out, 0, 1, out)", "ValueError"),  # sync inside out
]


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_bad_arguments_under_heap_lock_raise_the_same_types_not_memory_error(arch_blob, backend):
    """The app generates under micropython.heap_lock() (pdsettings.HEAP_LOCK): a bad argument
    there is still the declared TypeError or ValueError, whose message may not be built."""
    calls = LOCKED_CALLS + (LOCKED_NATMOD_CALLS if backend == "natmod" else [])
    script = "\n".join([
        'blob = open("m.blob", "rb").read()',
        "import micropython",
        "m = backend.Model(blob)" if backend != "natmod" else "m = backend.Model(blob, backend.FULL)",
        "out = bytearray(1024)",
        'w, b4, m4, s4 = bytes(28), bytes(16), b"\\x00\\x10" * 4, bytes(4)',
        'm1, s1 = b"\\x00\\x10", bytes(1)',
        LOCKED_SETUP,
        f"calls = [{', '.join('lambda: ' + c for c, _ in calls)}]",
        "got = [None] * len(calls)",
        "def check_all():",
        "    for i in range(len(calls)):",
        "        try:",
        "            calls[i]()",
        "        except Exception as e:",
        "            got[i] = type(e).__name__",
        "micropython.heap_lock()",
        "check_all()",
        "micropython.heap_unlock()",
        "for name in got:",
        "    print(name)",
    ])
    lines = run(backend, script, arch_blob).splitlines()
    assert [f"{c} -> {line}" for (c, _), line in zip(calls, lines)] == [f"{c} -> {e}" for c, e in calls]


# ---- the blob is the model's own -------------------------------------------------------------


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_a_mutable_blob_is_copied_so_later_changes_cannot_reach_the_model(arch_blob, backend):
    script = """
blob = bytearray(open("m.blob", "rb").read())
m = backend.Model(blob)
for i in range(len(blob)):
    blob[i] = 0xFF
out = bytearray(1024)
m.generate(6, 90, out)
print(bytes(out).hex())
"""
    got = run(backend, script, arch_blob).strip()
    assert got == reference.run(load(arch_blob), [6], [90])[0].tobytes().hex()


# ---- memory ----------------------------------------------------------------------------------

# the plans a backend has (None: its only one) and the faces it rolls (pure Python is slow)
ALLOC_RUNS = {
    "natmod": (("backend.STREAM", "backend.FULL"), 6),
    "viper": (("None",), 6),
    "python": (("None",), 1),
}


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_generation_allocates_nothing_on_the_heap(arch_blob, backend):
    plans, faces = ALLOC_RUNS[backend]
    script = f"""
import micropython
blob = open("m.blob", "rb").read()
out = bytearray(1024)
acc = bytearray(1)
def cb(row, col0, px):
    acc[0] ^= px[0]
def roll(m):  # in a function: a new module-level name would allocate a dict slot
    for face in range(1, {faces} + 1):
        m.generate(face, 20 * face - 70, out)
    m.generate_rows(2, 17, cb)
for plan in ({", ".join(plans)},):
    m = backend.Model(blob) if plan is None else backend.Model(blob, plan)
    micropython.heap_lock()
    try:
        roll(m)
    finally:
        micropython.heap_unlock()
    print("ok")
"""
    assert run(backend, script, arch_blob).split() == ["ok"] * len(plans)
