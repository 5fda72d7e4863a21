"""Integers are checked, not truncated: every integer the natmod takes (face, angle code, plan,
part, parts, shapes, kernel geometry) is range-checked on the Python object, big ints included,
before it is converted to a machine word; the viper and pure-Python backends raise the same
exception with the same message for face and angle code."""

from __future__ import annotations

import pytest
from conftest import SHIPPED_BLOB
from pipdream import micropython as mpy
from support import REPO

BIG = ["2**64 + 1", "2**64", "2**63", "-2**63 - 1", "2**62", "-(2**64)", "2**100", "10**40 + 3"]

# Calls every backend takes (generate, generate_rows) and the one line each must raise.
SHARED = ([(f"m.generate({b}, 0, out)", f"ValueError: face {eval(b)} not in 1..6") for b in BIG]
          + [(f"m.generate(1, {b}, out)", f"ValueError: angle_code {eval(b)} not in -127..127") for b in BIG]
          + [(f"m.generate_rows({b}, 0, cb)", f"ValueError: face {eval(b)} not in 1..6") for b in BIG]
          + [("m.generate(True, 0, out)", "TypeError: face must be an integer"),
             ("m.generate(1, False, out)", "TypeError: angle_code must be an integer"),
             ("m.generate(1.0, 0, out)", "TypeError: face must be an integer")])
# The natmod's other integers.
NATMOD_ONLY = ([f"pipnet.Model(blob, {b})" for b in BIG] + [f"pipnet.Model(blob, plan={b})" for b in BIG[:2]]
               + [f"mf.generate_part(1, 0, out, 0, {b}, sync)" for b in BIG[:3]]
               + [f"mf.generate_part(1, 0, out, {b}, 2, sync)" for b in BIG[:3]]
               + [f"pipnet.conv(x4, ({b}, 2, 2), y4, (1, 2, 2), w1, b1, m1, s1, 1, 1, 0)" for b in BIG[:2]]
               + [f"pipnet.conv(x4, (1, 2, 2), y4, (1, 2, 2), w1, b1, m1, s1, {b}, 1, 0)" for b in BIG[:2]]
               + [f"pipnet.convt(x4, (1, 2, 2), bytearray(16), (1, 4, 4), bytes(9), b1, m1, s1, 3, 2, 1, {b})"
                  for b in BIG[:2]])

SCRIPT = """
import pipnet, pdinfer_py, pdinfer_viper
blob = open("m.blob", "rb").read()
out = bytearray(1024)
sync = bytearray(2)
m1, s1 = b"\\x00\\x10", bytes(1)
x4, y4, w1, b1 = bytes(4), bytearray(4), bytes(1), bytes(4)
cb = lambda *a: None
def check(call, env):
    try:
        eval(call, env)
        print("no error")
    except Exception as e:
        print(type(e).__name__ + ": " + str(e))
CALLS = %r
ONLY = %r
for name, M in (("natmod", pipnet.Model), ("viper", pdinfer_viper.Model), ("python", pdinfer_py.Model)):
    m = M(blob)
    for call in CALLS:
        check(call, globals())
mf = pipnet.Model(blob, pipnet.FULL)
for call in ONLY:
    check(call, globals())
# Normalised or not, an in-range int is taken at its value:
m = pipnet.Model(blob, 2**64 - 2**64 + 1)
print(m.info()["plan"])
m.generate(2**70 - 2**70 + 6, 2**80 - 2**80 - 127, out)
print("ok")
"""


@pytest.fixture(scope="module")
def lines() -> list[str]:
    script = SCRIPT % ([call for call, _ in SHARED], NATMOD_ONLY)
    return mpy.run(script, path=[REPO / "device"], heapsize="512k",
                   files={"pipnet.mpy": mpy.natmod_mpy("x64"), "m.blob": SHIPPED_BLOB}).splitlines()


def test_every_backend_gives_the_same_exception_and_message(lines):
    n = len(SHARED)
    natmod, viper, python = lines[:n], lines[n:2 * n], lines[2 * n:3 * n]
    assert natmod == viper == python
    for (call, want), got in zip(SHARED, natmod):
        assert got == want, call  # big ints show their true value: nothing wrapped
    assert "-9223372036854775808" not in "\n".join(lines)


def test_every_other_natmod_integer_is_checked_on_the_object(lines):
    rest = lines[3 * len(SHARED):]
    only, tail = rest[:len(NATMOD_ONLY)], rest[len(NATMOD_ONLY):]
    for call, line in zip(NATMOD_ONLY, only):
        assert line.startswith("ValueError: ") and " not in " in line, (call, line)
    assert only[0] == "ValueError: plan 18446744073709551617 not in 0..1"
    assert tail == ["stream", "ok"]  # plan 1 is STREAM
