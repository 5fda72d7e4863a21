"""The die app's behaviour on the real MicroPython runtime, with a small scripted test board.

The test board implements the board interface of docs/device.md directly: a
virtual clock (sleeps move it), a button whose level follows a script of edges
(delivered by IRQ or seen by polling), our SSD1306 driver on an I2C bus that can
be absent (OSError ENODEV) until a given time, and entropy from os.urandom. The
app, the inference backend and the model blob are the real ones; the final image
is checked against host/pipdream/reference.py. End-to-end runs on the full
simulated board (machine stand-ins, emulator, `pipdream demo`) are in the sim tests.
"""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
from conftest import default_arch_model
from pipdream import reference
from pipdream.blob import pack
from support.device import DEVICE, HEADLESS_BOARD, run_device_script

sys.path.insert(0, str(DEVICE))
import pdview  # noqa: E402

HARNESS = r"""
import json, os
CFG = json.loads(%(cfg)r)
import pdapp, ssd1306

class Clock:
    def __init__(self):
        self.ms = 0
        self.us = 0
    def ticks_ms(self):
        return self.ms
    def ticks_us(self):
        self.us += 1
        return self.ms * 1000 + self.us %% 1000
    def ticks_diff(self, a, b):
        return a - b
    def ticks_add(self, a, b):
        return a + b
    def sleep_ms(self, ms):
        for _ in range(ms):
            self.ms += 1
            world.tick()

class Pin:
    def __init__(self):
        self.level = 1
    def value(self):
        if CFG["fail_pin_at_ms"] is not None and clock.ms >= CFG["fail_pin_at_ms"]:
            raise RuntimeError("pin read failed")
        return self.level

class Bus:
    def __init__(self):
        self.data = 0
    def _check(self, addr):
        if clock.ms < CFG["display_from_ms"] or addr != CFG["display_addr"]:
            raise OSError(19)  # ENODEV, as the unix and esp32 ports report an absent device
    def writeto(self, addr, buf):  # the driver sends each transaction as one buffer (ssd1306.py)
        self._check(addr)
        if buf[0] == 0x40:
            self.data += len(buf) - 1

class World:
    def __init__(self):
        self.edges = CFG["edges"]  # [t_ms, level], sorted
        self.next = 0
        self.handler = None
    def tick(self):
        while self.next < len(self.edges) and self.edges[self.next][0] <= clock.ms:
            pin.level = self.edges[self.next][1]
            self.next += 1
            if self.handler:
                self.handler(pin)

class Board:
    name = "test"
    entropy = "os.urandom"
    display_info = "SSD1306 128x64 at 0x3C/0x3D on the test bus"
    natmod_arch = None
    def __init__(self):
        self.clock = clock
        self.random_bytes = os.urandom
        self.button_pin = pin
        self.button_active = 0
    def attach_button_irq(self, handler):
        if not CFG["irq"]:
            return False
        world.handler = handler
        return True
    def open_display(self):
        err = None
        for addr in (0x3C, 0x3D):
            try:
                return ssd1306.SSD1306_I2C(CFG["width"], CFG["height"], bus, addr)
            except OSError as e:
                err = e
        raise err

class Hooks:
    def __init__(self):
        self.rolls = []
        self.frames = 0
        self.fail = CFG.get("fail_frames", 0)  # raise MemoryError in this many frames (a full heap)
    def on_frame(self, app, i, n, faces, codes):
        self.frames += 1
        if self.fail:
            self.fail -= 1
            raise MemoryError("memory allocation failed, allocating 1024 bytes")
    def on_roll(self, app, rec):
        r = dict(rec)
        r["image"] = bytes(app.images[0]).hex()
        r["image2"] = bytes(app.images[1]).hex()
        self.rolls.append(r)

clock, pin, bus, world, hooks = Clock(), Pin(), Bus(), World(), Hooks()
app = pdapp.App(Board(), CFG["settings"], hooks)
app.start()
while clock.ms < CFG["end_ms"]:
    app.tick()  # the body of App.run's loop
    clock.sleep_ms(app.cfg.POLL_MS)
print(json.dumps({"rolls": hooks.rolls, "frames": hooks.frames, "state": app.state,
                  "buffer": bytes(app.display.buffer).hex() if app.display else None,
                  "dither": app.cfg.DITHER, "bytes": bus.data}))
"""


def press_edges(t0: int, bounce: int = 1, hold: int = 150) -> list[list[int]]:
    """A press at t0 ms: `bounce` chatter edges 1 ms apart ending closed, held, released with 9 edges."""
    edges, level = [], 1
    for i in range(bounce if bounce % 2 else bounce + 1):
        level = 1 - level
        edges.append([t0 + i, level])
    t = t0 + 10 + hold
    for i in range(9):
        level = 1 - level
        edges.append([t + i, level])
    return edges


def run_app(tmp_path, *, blob: bytes | None, edges, end_ms: int, settings=None, display_from_ms: int = 0,
            display_addr: int = 0x3C, irq: bool = True, size=(128, 64), runtime: str = "micropython",
            expect_ok: bool = True, extra_path: tuple = (), fail_frames: int = 0,
            fail_pin_at_ms: int | None = None):
    if blob is not None:
        (tmp_path / "model.blob").write_bytes(blob)
    cfg = dict(edges=edges, end_ms=end_ms, display_from_ms=display_from_ms, display_addr=display_addr,
               irq=irq, width=size[0], height=size[1], fail_frames=fail_frames, fail_pin_at_ms=fail_pin_at_ms,
               settings={"MODEL_PATH": "model.blob", "BACKEND": "viper", **(settings or {})})
    proc = run_device_script(HARNESS % dict(cfg=json.dumps(cfg)), runtime, cwd=tmp_path, timeout=600,
                             expect_ok=expect_ok, extra_path=extra_path)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0:
        return None, lines, proc
    return json.loads(lines[-1]), lines[:-1], proc


@pytest.fixture(scope="module")
def blob() -> bytes:
    return pack(default_arch_model(3))


def reference_image(blob: bytes, face: int, code: int) -> np.ndarray:
    from pipdream.blob import load

    return reference.run(load(blob), np.array([face]), np.array([code]))[0]


def die_window(buffer_hex: str, slot) -> np.ndarray:
    a = np.frombuffer(bytes.fromhex(buffer_hex), np.uint8).reshape(8, 128)
    rows = np.unpackbits(a[:, None, :], axis=1, bitorder="little").reshape(64, 128)
    return rows[slot.y : slot.y + slot.size, slot.x : slot.x + slot.size].astype(bool)


def test_a_press_rolls_one_die_that_ends_on_the_reference_image(tmp_path, blob):
    r, console, _ = run_app(tmp_path, blob=blob, edges=press_edges(200, bounce=9), end_ms=4000)
    assert len(r["rolls"]) == 1
    roll = r["rolls"][0]
    assert 1 <= roll["face"] <= 6 and -127 <= roll["angle"] <= 127
    assert 4 <= roll["frames"] <= 60 and roll["backend"] == "viper" and roll["display"]
    want = reference_image(blob, roll["face"], roll["angle"])
    assert bytes.fromhex(roll["image"]) == want.tobytes()  # the settled frame is the rolled face
    (slot,) = pdview.layout(128, 64, 1)
    shown = die_window(r["buffer"], slot)
    assert np.array_equal(shown, np.kron(want >= 128, np.ones((2, 2), bool)))
    # the title text is gone: only the die and its number are lit
    screen = np.unpackbits(np.frombuffer(bytes.fromhex(r["buffer"]), np.uint8).reshape(8, 1, 128),
                           axis=1, bitorder="little").reshape(64, 128).copy()
    screen[:, 32:96] = 0
    nx, ny, nw, nh = slot.num_box()
    assert screen[ny : ny + nh, nx : nx + nw].any()
    screen[ny : ny + nh, nx : nx + nw] = 0
    assert not screen.any()
    said = f"pipdream: roll 1: {roll['face']} (angle {roll['angle']}"
    assert any(line.startswith(said) for line in console)
    # the die window (+ the number's) every frame, never full frames
    assert roll["bytes_sent"] <= roll["frames"] * (512 + 20)


@pytest.mark.parametrize("irq", [True, False])
def test_each_bouncy_press_gives_exactly_one_roll(tmp_path, blob, irq):
    edges = []
    for k, t0 in zip((1, 4, 9, 20), (100, 2200, 4300, 6400)):
        edges += press_edges(t0, bounce=k)
    r, _, _ = run_app(tmp_path, blob=blob, edges=edges, end_ms=8600, irq=irq,
                      settings={"ROLL_MS": 400, "MIN_FRAMES": 2})
    assert len(r["rolls"]) == 4


def test_no_display_at_boot_then_found_later_keeps_rolling(tmp_path, blob):
    edges = press_edges(300) + press_edges(1500)
    r, console, _ = run_app(tmp_path, blob=blob, edges=edges, end_ms=5000, display_from_ms=2500,
                            display_addr=0x3D, settings={"DISPLAY_RETRY_MS": 1000})
    text = "\n".join(console)
    assert "pipdream: no display: SSD1306 128x64 at 0x3C/0x3D on the test bus: ENODEV" in text
    assert text.count("no display") == 1  # said once, not at every retry
    assert "pipdream: roll 1:" in text and "pipdream: roll 2:" in text
    assert "pipdream: display found at 0x3D" in text
    assert [x["display"] for x in r["rolls"]] == [False, False]
    # found after the rolls: it shows the last roll's face at once
    last = r["rolls"][-1]
    want = reference_image(blob, last["face"], last["angle"])
    (slot,) = pdview.layout(128, 64, 1)
    assert np.array_equal(die_window(r["buffer"], slot), np.kron(want >= 128, np.ones((2, 2), bool)))


def test_a_memory_error_in_a_roll_is_reported_and_the_next_press_rolls_again(tmp_path, blob):
    edges = press_edges(300) + press_edges(1500)
    r, console, proc = run_app(tmp_path, blob=blob, edges=edges, end_ms=3000, fail_frames=1,
                               settings={"ROLL_MS": 200, "MIN_FRAMES": 2})
    text = "\n".join(console)
    assert "Traceback" not in text + proc.stderr
    assert text.count("pipdream: roll failed: MemoryError: memory allocation failed") == 1
    (roll,) = r["rolls"]  # the first press failed, the second rolled to the end
    assert roll["roll"] == 1
    want = reference_image(blob, roll["face"], roll["angle"])
    assert np.array_equal(np.frombuffer(bytes.fromhex(roll["image"]), np.uint8).reshape(32, 32), want)


def test_each_failed_press_is_reported_and_a_failure_on_every_pass_only_once(tmp_path, blob):
    edges = press_edges(300) + press_edges(900) + press_edges(1500)
    r, console, _ = run_app(tmp_path, blob=blob, edges=edges, end_ms=2500, fail_frames=3,
                            settings={"ROLL_MS": 200, "MIN_FRAMES": 2})
    assert "\n".join(console).count("pipdream: roll failed:") == 3
    assert r["rolls"] == [] and r["state"] == 0  # idle, waiting for the next press
    # a button pin that fails on every read: one report, not one per 5 ms pass of the loop
    r, console, _ = run_app(tmp_path, blob=blob, edges=[[300, 0], [100_000, 1]], end_ms=2500,
                            settings={"BUTTON_IRQ": False}, fail_pin_at_ms=400)
    assert "\n".join(console).count("pipdream: roll failed: RuntimeError: pin read failed") == 1


@pytest.mark.parametrize("case", ["missing", "corrupt", "truncated"])
def test_a_missing_or_corrupt_model_is_reported_once_and_the_die_still_rolls(tmp_path, blob, case):
    bad = {"missing": None, "corrupt": blob[:100] + bytes([blob[100] ^ 0x10]) + blob[101:],
           "truncated": blob[: len(blob) // 2]}[case]
    r, console, proc = run_app(tmp_path, blob=bad, edges=press_edges(300), end_ms=2000)
    text = "\n".join(console)
    assert "Traceback" not in text + proc.stderr
    expect = {"missing": "pipdream: no model: model.blob not found",
              "corrupt": "pipdream: no model: model.blob is corrupt: ",
              "truncated": "pipdream: no model: model.blob is corrupt: "}[case]
    assert text.count(expect) == 1
    assert len(r["rolls"]) == 1 and r["rolls"][0]["backend"] is None
    assert "pipdream: roll 1:" in text
    # the screen says so: the message text is drawn (framebuf text), not a die
    assert bytes.fromhex(r["buffer"]).count(0) < 1024


def test_long_press_opens_settings_and_a_short_press_changes_the_dither(tmp_path, blob):
    edges = press_edges(100, hold=1800)  # roll, still held after LONG_PRESS_MS: the menu
    edges += press_edges(2600)  # short press: dither threshold -> bayer
    edges += press_edges(3200, hold=1200) + press_edges(4800, hold=1200) + press_edges(6400, hold=1200)
    edges += press_edges(8400)  # back at the die: roll with Bayer dithering
    r, console, _ = run_app(tmp_path, blob=blob, edges=edges, end_ms=10500)
    text = "\n".join(console)
    assert "pipdream: settings: press to change, hold for the next item" in text
    assert "pipdream: settings: dither bayer, number on, dice 1" in text
    assert r["dither"] == "bayer" and r["state"] == 0
    assert len(r["rolls"]) == 2
    last = r["rolls"][-1]
    want = reference_image(blob, last["face"], last["angle"])
    (slot,) = pdview.layout(128, 64, 1)
    bits = np.frombuffer(pdview.render_bits(want.tobytes(), 2, "bayer"), np.uint8).reshape(64, 64)
    assert np.array_equal(die_window(r["buffer"], slot), bits.astype(bool))


def test_two_dice_on_128x32_with_heap_locked_frames_on_the_natmod(tmp_path, blob):
    from pipdream.micropython import natmod_mpy

    edges = press_edges(100) + press_edges(2000)
    r, _, _ = run_app(tmp_path, blob=blob, edges=edges, end_ms=4000, size=(128, 32),
                      settings={"DICE": 2, "HEAP_LOCK": True, "BACKEND": "natmod"},
                      extra_path=(natmod_mpy("x64").parent,))
    assert len(r["rolls"]) == 2 and r["rolls"][0]["backend"] == "natmod"
    for roll in r["rolls"]:
        assert len(roll["faces"]) == 2
        for img, face, code in zip(("image", "image2"), roll["faces"], roll["angles"]):
            assert bytes.fromhex(roll[img]) == reference_image(blob, face, code).tobytes()


def test_an_unknown_setting_is_a_clear_error(tmp_path, blob):
    _, _, proc = run_app(tmp_path, blob=blob, edges=[], end_ms=10, settings={"DITHERING": "bayer"},
                         expect_ok=False)
    assert "ValueError: unknown setting DITHERING" in proc.stdout + proc.stderr


CPYTHON_CONSOLE = r"""
import json, os, pdapp, pdclock
""" + HEADLESS_BOARD + r"""
app = pdapp.App(Board(), {"MODEL_PATH": "model.blob", "BACKEND": "python"})
app.start()
recs = [app.roll() for _ in range(3)]
print(json.dumps(recs))
"""


def test_the_app_logic_runs_on_cpython_too(tmp_path, blob):
    (tmp_path / "model.blob").write_bytes(blob)
    proc = run_device_script(CPYTHON_CONSOLE, "cpython", cwd=tmp_path)
    recs = json.loads(proc.stdout.strip().splitlines()[-1])
    assert [r["roll"] for r in recs] == [1, 2, 3] and all(r["backend"] == "python" for r in recs)
    assert "pipdream: no display: none: ENODEV" in proc.stdout


def test_the_tumble_length_adapts_to_the_frame_time(tmp_path, blob):
    """Fast frames: ROLL_MS / FRAME_MS frames. Frames slower than ROLL_MS: every roll shows only the
    result, the first too (the app times one image at start-up: viper on a Pico)."""
    edges = press_edges(100) + press_edges(2000) + press_edges(3500)
    fast, _, _ = run_app(tmp_path, blob=blob, edges=edges, end_ms=5000)
    assert [x["frames"] for x in fast["rolls"]] == [60, 60, 60]  # 1200 ms / 20 ms
    slow, _, _ = run_app(tmp_path, blob=blob, edges=edges, end_ms=5000, settings={"ROLL_MS": 30})
    assert [x["frames"] for x in slow["rolls"]] == [1, 1, 1]
    for roll in slow["rolls"]:
        assert bytes.fromhex(roll["image"]) == reference_image(blob, roll["face"], roll["angle"]).tobytes()


def test_a_press_during_a_roll_rolls_once_more_afterwards(tmp_path, blob):
    edges = press_edges(100) + press_edges(600) + press_edges(800)  # two presses during the first tumble
    r, _, _ = run_app(tmp_path, blob=blob, edges=edges, end_ms=5000)
    assert len(r["rolls"]) == 2  # one queued roll, not one per press during the tumble
