"""The ATmega328p firmware draws, cycle by cycle in simavr, exactly what reference.py computes.

Each test builds the firmware with its test hook (UART "D face angle": roll this face and
angle and print the image rows), runs it in boards/atmega328p/sim/pd_sim.c, replays the
recorded I2C stream into the project's SSD1306 emulator and compares:
- the raw 32x32 image bytes with reference.run on the same blob, and
- the panel with what device/pdview.py draws for that image (threshold 128, scale 2,
  centred, face number beside it), pixel for pixel.
"""

from __future__ import annotations

import numpy as np
import pytest
from pipdream import avr, reference
from pipdream.blob import load
from pipdream.blob.synthetic import default_shape_blob

FACES = range(1, 7)
ANGLES = (-127, -40, 0, 93)


def run_forced(tmp_path, impl: str, forced: list[tuple[int, int]], blob=None):
    blob = blob or avr.default_blob()
    elf = avr.build_firmware(hook=True, blob=blob, impl=impl)
    run = avr.run_sim(elf, tmp_path / impl, forced=forced, dump=True)
    assert run.end_reason == "rolls", run.uart[-400:]
    model = load(blob.read_bytes())
    refs = reference.run(model, np.array([f for f, _ in forced]), np.array([a for _, a in forced]))
    return run, avr.replay(run), refs


def assert_rolls_match(run, panels, refs, forced):
    assert [(r.face, r.angle) for r in run.rolls] == list(forced)
    for r, panel, ref in zip(run.rolls, panels, refs):
        assert r.status == 0
        assert r.image is not None and np.array_equal(r.image, ref), (
            f"face {r.face} angle {r.angle}: {int((r.image != ref).sum())} image bytes differ")
        expected = avr.expected_panel(ref, r.face)
        assert np.array_equal(panel, expected), (
            f"face {r.face} angle {r.angle}: {int((panel != expected).sum())} panel pixels differ")


def test_every_face_and_several_angles_match_the_reference_byte_for_byte(tmp_path):
    forced = [(f, a) for f in FACES for a in ANGLES]
    run, panels, refs = run_forced(tmp_path, "asm", forced)
    assert_rolls_match(run, panels, refs, forced)


@pytest.mark.parametrize("impl", ["c", "dot"])
def test_the_plain_c_kernels_and_the_asm_dot_product_give_the_same_bytes(tmp_path, impl):
    """The shared C kernels as written (c) and with the asm dot product (dot) are the
    references the asm kernels are checked against; each face once."""
    forced = list(zip(FACES, (-127, -70, -1, 1, 64, 127)))
    run, panels, refs = run_forced(tmp_path, impl, forced)
    assert_rolls_match(run, panels, refs, forced)


def test_a_random_default_architecture_blob_matches_too(tmp_path):
    """Other weights, biases and requantization constants than the shipped model's."""
    blob = tmp_path / "synthetic.blob"
    blob.write_bytes(default_shape_blob(seed=7))
    forced = [(f, a) for f, a in zip(FACES, (5, -90, 127, -127, 0, 33))]
    run, panels, refs = run_forced(tmp_path, "asm", forced, blob=blob)
    assert_rolls_match(run, panels, refs, forced)


def test_other_channel_counts_take_the_other_asm_paths_and_match_too(tmp_path):
    """5, 4 and 6 channels: the zero-skipping core with one channel quad and chunk
    lengths that are not a multiple of 4, its channel-pair variant (6) and the
    any-layout one-pixel core (5)."""
    from pipdream.decoder import DecoderConfig

    blob = tmp_path / "mixed.blob"
    blob.write_bytes(default_shape_blob(seed=5, cfg=DecoderConfig(d1=8, d2=6, d3=4, d4=5)))
    forced = [(f, a) for f, a in zip(FACES, (5, -90, 127, -127, 0, 33))]
    run, panels, refs = run_forced(tmp_path, "asm", forced, blob=blob)
    assert_rolls_match(run, panels, refs, forced)


def test_the_display_at_the_secondary_address_gets_the_same_picture(tmp_path):
    elf = avr.build_firmware(hook=True)
    run = avr.run_sim(elf, tmp_path, forced=[(2, 50)], display_addr=0x3D)
    assert [r.display for r in run.rolls] == ["3d"]
    oled_at_3d = [t for t in run.transactions if t.addr == 0x3D and t.acked]
    assert oled_at_3d, "nothing was written to 0x3D"
    # replay() listens at 0x3C: feed it the 0x3D stream instead
    from pipdream.sim.ssd1306 import SSD1306

    oled = SSD1306(128, 64)
    for t in oled_at_3d:
        oled.write(t.data)
    ref = reference.run(load(avr.default_blob().read_bytes()), np.array([2]), np.array([50]))[0]
    assert np.array_equal(oled.panel(), avr.expected_panel(ref, 2))
    assert not oled.unknown_commands and not oled.notes


def test_every_tumble_frame_is_the_fast_models_image_and_the_rolled_face_the_default_models(tmp_path):
    """The test hook's "T face angle": the tumble (its faces from the firmware's own tumble
    stream, reported per frame), then the forced face. Each frame on the emulated display is
    pdview's drawing of reference.run on models/fast.blob, without the face number; the raw
    bytes too. The last TUMBLE_SETTLE frames show the rolled face and the angle codes sweep
    forward (mod 254) to the rolled code."""
    forced = [(3, -42), (6, 127), (1, 0)]
    elf = avr.build_firmware(hook=True)
    run = avr.run_sim(elf, tmp_path, forced=forced, tumble=True)
    assert run.end_reason == "rolls", run.uart[-400:]
    fast = load(avr.FAST_BLOB.read_bytes())
    refs = reference.run(load(avr.default_blob().read_bytes()), np.array([f for f, _ in forced]),
                         np.array([a for _, a in forced]))
    assert_rolls_match(run, avr.replay(run), refs, forced)
    n_frames = int(run.info["frames"])
    assert n_frames >= 4
    for r, panels in zip(run.rolls, avr.replay_frames(run)):
        assert [f.n for f in r.frames] == list(range(1, n_frames + 1))
        assert [f.face for f in r.frames][-2:] == [r.face, r.face]
        assert r.frames[0].face != r.face
        steps = [(b.angle - a.angle) % 254 for a, b in zip(r.frames, [*r.frames[1:], r])]
        assert all(s > 0 for s in steps) and steps == sorted(steps, reverse=True), steps
        frefs = reference.run(fast, np.array([f.face for f in r.frames]),
                              np.array([f.angle for f in r.frames]))
        for f, panel, ref in zip(r.frames, panels, frefs):
            assert f.status == 0
            assert f.image is not None and np.array_equal(f.image, ref), (
                f"frame {f.n} face {f.face} angle {f.angle}: {int((f.image != ref).sum())} bytes differ")
            expected = avr.expected_panel(ref, None)
            assert np.array_equal(panel, expected), (
                f"frame {f.n} face {f.face} angle {f.angle}: {int((panel != expected).sum())} pixels differ")
