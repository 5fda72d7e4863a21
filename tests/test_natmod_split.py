"""The natmod's generate_part on the real MicroPython runtime: an image split between two
threads (on the rp2 port, the two cores; here the unix port's _thread, which has no GIL either)
is byte-identical to the reference, and bad arguments get a clear error, never a hang."""

from __future__ import annotations

import pytest
from support.device import raised, run_with_natmod, shipped_images

ANGLES = (-127, -90, -33, 0, 1, 64, 126)


def test_two_threads_draw_the_reference_image_of_every_face():
    got = run_with_natmod(f"""
import _thread, pipnet
m = pipnet.Model(blob, pipnet.FULL)
out = bytearray(1024)
sync = bytearray(2)
go = _thread.allocate_lock(); go.acquire()
done = _thread.allocate_lock(); done.acquire()
job = [0, 0]

def core1():
    while True:
        go.acquire()
        if job[0] == 0:
            break
        m.generate_part(job[0], job[1], out, 1, 2, sync)
        done.release()

_thread.start_new_thread(core1, ())
images = []
for face in range(1, 7):
    for code in {ANGLES!r}:
        job[0], job[1] = face, code
        go.release()
        m.generate_part(face, code, out, 0, 2, sync)
        done.acquire()
        images.append(bytes(out).hex())
job[0] = 0
go.release()
print(json.dumps(images))
""")
    pairs = [(face, code) for face in range(1, 7) for code in ANGLES]
    assert len(got) == len(pairs)
    for img, want, pair in zip(got, shipped_images(pairs), pairs):
        assert bytes.fromhex(img) == want, pair


@pytest.mark.parametrize("call, message", [
    ("m.generate_part(1, 0, out, 2, 2, sync)", "part 2 not in 0..1"),
    ("m.generate_part(1, 0, out, 0, 0, sync)", "parts 0 not in 1..4"),
    ("m.generate_part(1, 0, out, 0, 5, sync)", "parts 5 not in 1..4"),
    ("m.generate_part(1, 0, out, 0, 4, sync)", "sync holds 2 bytes, it needs at least 4"),
    ("m.generate_part(7, 0, out, 0, 2, sync)", "face"),
    ("pipnet.Model(blob).generate_part(1, 0, out, 0, 1, sync)", "generate_part needs the full plan"),
    ("m.generate_part(1, 0, out, 0, 2, sync)", "generate_part: another core did not reach the barrier"),
])
def test_bad_arguments_and_a_missing_partner_raise_clear_errors(call, message):
    script = f"""
import pipnet
m = pipnet.Model(blob, pipnet.FULL)
out, sync = bytearray(1024), bytearray(2)
{raised(call)}"""
    err = run_with_natmod(script)
    assert message in err
    assert err.startswith("RuntimeError" if "barrier" in message else "ValueError")


def test_one_part_alone_is_the_whole_image():
    img = run_with_natmod("""
import pipnet
m = pipnet.Model(blob, pipnet.FULL)
out, sync = bytearray(1024), bytearray(1)
m.generate_part(6, 100, out, 0, 1, sync)
print(json.dumps(bytes(out).hex()))
""")
    assert bytes.fromhex(img) == shipped_images([(6, 100)])[0]
