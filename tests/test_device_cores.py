"""pdcores: the die's images split between two cores (natmod generate_part on this thread and on
core 1's), on the real MicroPython runtime: the same bytes as one core, nothing allocated per
image, and one core whenever two cannot be had, with the reason."""

from __future__ import annotations

import pytest
from support.device import run_with_natmod, shipped_images

PROLOGUE = """
import micropython, pdcores, pdinfer

class Busy:  # rp2 with core 1 taken: start_new_thread raises
    def allocate_lock(self):
        import _thread
        return _thread.allocate_lock()
    def start_new_thread(self, fn, args):
        raise OSError("core1 in use")  # as the rp2 port words it

class Never(Busy):  # a thread that never runs its function
    def start_new_thread(self, fn, args):
        pass
"""


def run(script: str):
    return run_with_natmod(PROLOGUE + script)


PAIRS = [(f, a) for f in range(1, 7) for a in (-127, -20, 0, 77)]


def test_two_cores_draw_the_reference_images_without_allocating():
    got = run(f"""
model, alone = pdcores.split(pdinfer.load(blob, "natmod", "full")[0], 2)
out = bytearray(1024)
images = []
for face, code in {PAIRS!r}:
    micropython.heap_lock()
    model.generate(face, code, out)
    micropython.heap_unlock()
    images.append(bytes(out).hex())
model.stop()
print(json.dumps([type(model).__name__, alone, images]))
""")
    assert got[:2] == ["TwoCores", None]
    assert [bytes.fromhex(h) for h in got[2]] == shipped_images(PAIRS)


@pytest.mark.parametrize("setup, why", [
    ('pdinfer.load(blob, "natmod", "full")[0], 1', "the board module asks for one core"),
    ('pdinfer.load(blob, "natmod", "stream")[0], 2', "the stream plan runs on one core"),
    ('pdinfer.load(blob, "viper")[0], 2', "this backend has no split generate"),
    ('pdinfer.load(blob, "natmod", "full")[0], 2, Busy()', "core 1 is busy (core1 in use)"),
])
def test_one_core_when_two_cannot_be_had_with_the_reason(setup, why):
    got = run(f"""
model, alone = pdcores.split({setup})
out = bytearray(1024)
model.generate(6, 33, out)
print(json.dumps([alone, bytes(out).hex()]))
""")
    assert got[0] == why
    assert bytes.fromhex(got[1]) == shipped_images([(6, 33)])[0]


def test_a_core_1_that_never_runs_is_found_at_the_start_and_the_die_goes_on_alone():
    got = run("""
import time
t0 = time.ticks_ms()
model, alone = pdcores.split(pdinfer.load(blob, "natmod", "full")[0], 2, Never())
waited = time.ticks_diff(time.ticks_ms(), t0)
out = bytearray(1024)
model.generate(2, -50, out)
first = bytes(out).hex()
model.generate(5, 50, out)
print(json.dumps([type(model).__name__, alone, waited, first, bytes(out).hex()]))
""")
    assert got[:2] == ["Model", "core 1 did not start within 200 ms"]
    assert 200 <= got[2] < 1000  # one bounded wait at start-up, not the barrier's 21 s at the first roll
    assert [bytes.fromhex(h) for h in got[3:]] == shipped_images([(2, -50), (5, 50)])


def test_bad_arguments_raise_on_both_cores_and_the_next_image_is_right():
    got = run("""
model, alone = pdcores.split(pdinfer.load(blob, "natmod", "full")[0], 2)
out = bytearray(1024)
try:
    model.generate(9, 0, out)
except ValueError as e:
    err = str(e)
model.generate(3, 3, out)
model.stop()
print(json.dumps([err, bytes(out).hex()]))
""")
    assert "face" in got[0]
    assert bytes.fromhex(got[1]) == shipped_images([(3, 3)])[0]
