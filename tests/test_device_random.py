"""The die is fair: the byte-to-face mapping is uniform over every input, and rolls pass chi-square.

Chi-square critical values at 1%: 15.09 for 5 degrees of freedom (six faces),
57.34 for 35 (the 36 ordered pairs of two dice). A fair die fails such a test 1%
of the time, so a failing run is repeated once and only two failures in a row
fail the test (false alarm rate 0.01%); the negative controls show the same
statistic does reject a biased mapping.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter

import pytest
from support.device import DEVICE, HEADLESS_BOARD, micropython_exe, run_json

sys.path.insert(0, str(DEVICE))
import pdrandom  # noqa: E402
import pdtumble  # noqa: E402

CHI2_5DOF_1PCT = 15.09
CHI2_35DOF_1PCT = 57.34
N_ROLLS = 60_000


def chi_square(counts: list[int]) -> float:
    n = sum(counts)
    e = n / len(counts)
    return sum((c - e) ** 2 / e for c in counts)


def test_face_mapping_is_exactly_uniform_over_all_256_bytes():
    faces = Counter(pdrandom.face_from_byte(b) for b in range(256))
    rejected = faces.pop(None)
    assert sorted(faces) == [1, 2, 3, 4, 5, 6]
    assert set(faces.values()) == {40}  # 240 accepted bytes, 40 per face
    assert rejected == 16


def test_angle_mapping_is_exactly_uniform_over_all_256_bytes():
    codes = Counter(pdrandom.angle_from_byte(b) for b in range(256))
    assert codes.pop(None) == 1
    assert sorted(codes) == list(range(-127, 128))
    assert set(codes.values()) == {1}


def test_micropython_maps_every_byte_like_cpython():
    got = run_json("import json, pdrandom\n"
                   "print(json.dumps([[pdrandom.face_from_byte(b), pdrandom.angle_from_byte(b)]"
                   " for b in range(256)]))")
    assert got == [[pdrandom.face_from_byte(b), pdrandom.angle_from_byte(b)] for b in range(256)]


def test_rng_rejects_and_draws_again():
    # bytes 0xFF (both 3-bit candidates are 7) and 0xFE are rejected for faces; 0xFF for angles
    src = iter([bytes([0xFF, 0xFE, 0x05] + [0] * 13), bytes([0xFF, 0x00] + [0] * 14)])
    rng = pdrandom.Rng(lambda n: next(src))
    assert rng.face() == 6  # 0x05: candidate 5
    assert rng.face() == 1
    rng = pdrandom.Rng(lambda n: bytes([0xFF, 0xFF, 0x7F] + [0] * 13))
    assert rng.angle_code() == 0


def test_a_short_entropy_read_is_an_error_not_a_hang():
    rng = pdrandom.Rng(lambda n: b"")
    with pytest.raises(ValueError, match="entropy source gave 0 bytes"):
        rng.face()


def _two_stage(stat, critical: float) -> float:
    """A fair source passes; a failing first run gets one more chance (see the module docstring)."""
    first = stat()
    return first if first < critical else stat()


ROLLS_SCRIPT = """
import json, os, pdapp, pdclock, pdbutton
""" + HEADLESS_BOARD.replace("%", "%%") + """
app = pdapp.App(Board(), {"DICE": 2, "CONSOLE": False})
counts = [0] * 6
pairs = [0] * 36
for i in range(%d):
    rec = app.roll()   # no model, no display: the roll path without pictures
    a, b = rec["faces"]
    counts[a - 1] += 1
    counts[b - 1] += 1
    pairs[(a - 1) * 6 + b - 1] += 1
print(json.dumps({"counts": counts, "pairs": pairs}))
"""


class AppRolls:
    """The app's own roll path on MicroPython, two dice per roll, entropy from os.urandom."""

    def __init__(self):
        self._shared = None

    def shared(self) -> dict:
        """One run shared by the tests of this module."""
        if self._shared is None:
            self._shared = self.fresh()
        return self._shared

    @staticmethod
    def fresh() -> dict:
        return run_json(ROLLS_SCRIPT % N_ROLLS, timeout=600)


@pytest.fixture(scope="module")
def app_rolls():
    return AppRolls()


def test_chi_square_of_60000_app_rolls_passes_at_1_percent(app_rolls):
    r = app_rolls.shared()
    assert sum(r["counts"]) == 2 * N_ROLLS and sum(r["pairs"]) == N_ROLLS
    stat = chi_square(r["counts"])
    if stat >= CHI2_5DOF_1PCT:  # see the module docstring: one repeat
        stat = chi_square(app_rolls.fresh()["counts"])
    assert stat < CHI2_5DOF_1PCT


def test_pairs_of_dice_in_60000_rolls_pass_the_36_cell_test(app_rolls):
    stat = chi_square(app_rolls.shared()["pairs"])
    if stat >= CHI2_35DOF_1PCT:
        stat = chi_square(app_rolls.fresh()["pairs"])
    assert stat < CHI2_35DOF_1PCT


def test_consecutive_faces_from_the_rng_pass_the_36_cell_test():
    import os

    def stat():
        rng = pdrandom.Rng(os.urandom)
        pairs = [0] * 36
        for _ in range(N_ROLLS):
            pairs[(rng.face() - 1) * 6 + rng.face() - 1] += 1
        return chi_square(pairs)

    assert _two_stage(stat, CHI2_35DOF_1PCT) < CHI2_35DOF_1PCT


def test_the_chi_square_test_rejects_a_modulo_bias():
    """Negative control: 3 random bits `% 6` makes faces 1 and 2 twice as likely; the test sees it."""
    import os

    data = os.urandom(N_ROLLS)
    counts = [0] * 6
    for b in data:
        counts[(b & 7) % 6] += 1
    assert chi_square(counts) > CHI2_5DOF_1PCT


def test_the_pair_test_rejects_a_die_that_avoids_repeats():
    """Negative control: a second die that rerolls doubles once is uniform alone but fails the pair test."""
    import os

    rng = pdrandom.Rng(os.urandom)
    pairs = [0] * 36
    singles = [0] * 6
    for _ in range(N_ROLLS):
        a, b = rng.face(), rng.face()
        if a == b:
            b = rng.face()
        pairs[(a - 1) * 6 + b - 1] += 1
        singles[b - 1] += 1
    assert chi_square(pairs) > CHI2_35DOF_1PCT


def test_jitter_fallback_gives_every_face():
    """The documented seeding for ports without os.urandom still yields all faces about equally."""
    import time

    src = pdrandom.JitterSource(lambda: time.perf_counter_ns() // 1000)
    rng = pdrandom.Rng(src)
    counts = Counter(rng.face() for _ in range(6000))
    assert sorted(counts) == [1, 2, 3, 4, 5, 6]
    assert min(counts.values()) > 800


def test_tumble_ends_exactly_on_the_rolled_face_and_angle():
    import os

    rng = pdrandom.Rng(os.urandom)
    for _ in range(200):
        face, code = rng.face(), rng.angle_code()
        t = pdtumble.Tumble(rng, face, code, max_frames=30, turns=1, settle=3, hold=2)
        for n in (1, 2, 4, 12, 30):
            assert (t.face_at(n - 1, n), t.code_at(n - 1, n)) == (face, code)
            assert all(t.face_at(i, n) == face for i in range(max(0, n - 3), n))
            assert all(-127 <= t.code_at(i, n) <= 127 for i in range(n))
        # during the tumble the face changes: consecutive hold periods differ
        assert all(t.faces[i] != t.faces[i + 1] for i in range(len(t.faces) - 1))
        assert t.code_at(0, 12) == pdtumble.wrap(t.start)


def test_tumble_sweeps_forward_and_slows_down():
    import os

    rng = pdrandom.Rng(os.urandom)
    t = pdtumble.Tumble(rng, 3, 100, max_frames=30, turns=1)
    n = 16
    unwrapped = [t.start + t.sweep - t.sweep * (n - 1 - i) ** 2 // (n - 1) ** 2 for i in range(n)]
    steps = [b - a for a, b in zip(unwrapped, unwrapped[1:])]
    assert all(s >= 0 for s in steps) and steps[0] > steps[-1]
    assert t.sweep >= pdtumble.PERIOD  # at least one half turn
    assert [pdtumble.wrap(u) for u in unwrapped[:-1]] == [t.code_at(i, n) for i in range(n - 1)]


class Stuck:
    """An entropy source that returns one byte value forever (the rp2 firmware's os.urandom in
    rp2040js gives 2a 2a 2a ...); it gives up after `limit` reads, so a draw that would never
    end fails the test instead of hanging it."""

    def __init__(self, value: int, limit: int = 10_000):
        self.value, self.limit, self.reads = value, limit, 0

    def __call__(self, n: int) -> bytes:
        self.reads += 1
        if self.reads > self.limit:
            raise AssertionError(f"source stuck on {self.value:#04x} read {self.limit} times:"
                                 " the draw never ends")
        return bytes([self.value]) * n


@pytest.mark.parametrize("value", range(256))
def test_a_stuck_source_still_rolls_every_face_and_tumbles(value, capsys):
    ticks = iter(range(0, 10**9, 7))  # a timer for the jitter seed: the board's clock in the app
    rng = pdrandom.Rng(Stuck(value), ticks_us=lambda: next(ticks))
    faces = Counter(rng.face() for _ in range(3000))
    assert sorted(faces) == [1, 2, 3, 4, 5, 6] and min(faces.values()) > 350
    assert all(rng.other_face(f) != f for f in (1, 2, 3, 4, 5, 6) for _ in range(20))
    assert -127 <= rng.angle_code() <= 127
    pdtumble.Tumble(rng, rng.face(), rng.angle_code(), max_frames=30)  # the tumble that froze
    assert rng.fault is not None and f"{value:02x}" in rng.fault or "rejected" in rng.fault
    said = capsys.readouterr().out.splitlines()
    assert said == ["pipdream: " + rng.fault]  # said once


def test_a_weak_source_whose_every_byte_is_rejected_is_caught_by_the_rejection_bound():
    weak = iter(bytes([0xFE, 0xFF]) * 100_000)  # alternates: no repeat, and both bytes give no face
    rng = pdrandom.Rng(lambda n: bytes(next(weak) for _ in range(n)), ticks_us=lambda: 12345)
    assert 1 <= rng.face() <= 6
    assert rng.fault == "entropy source had 32 bytes in a row rejected for a face: mixing in timer jitter" \
        " (faces stay equally likely)"


def test_a_stuck_source_mixed_with_jitter_passes_chi_square():
    def stat():
        ticks = iter(range(0, 10**12, 13))
        rng = pdrandom.Rng(Stuck(0x2A, limit=10**6), ticks_us=lambda: next(ticks))
        counts = [0] * 6
        for _ in range(N_ROLLS // 2):
            counts[rng.face() - 1] += 1
        return chi_square(counts)

    assert _two_stage(stat, CHI2_5DOF_1PCT) < CHI2_5DOF_1PCT


def test_a_healthy_source_is_read_exactly_as_before():
    """The checks read nothing extra: a seeded source gives the same faces as the plain mapping."""
    import random

    r = random.Random(5)
    data = bytes(r.getrandbits(8) for _ in range(16 * 400))
    src = iter(data[i:i + 16] for i in range(0, len(data), 16))
    rng = pdrandom.Rng(lambda n: next(src))
    expected = [f for f in map(pdrandom.face_from_byte, data) if f is not None][:2000]
    assert [rng.face() for _ in range(2000)] == expected and rng.fault is None


def test_the_app_rolls_twice_on_micropython_with_a_stuck_os_urandom():
    got = run_json("import json, os, pdapp, pdclock\n" + HEADLESS_BOARD + """
Board.random_bytes = staticmethod(lambda n: b"\\x2a" * n)
app = pdapp.App(Board(), {"CONSOLE": False})
recs = [app.roll(), app.roll()]
print(json.dumps([[r["face"], r["angle"]] for r in recs] + [app.rng.fault]))
""")
    assert all(1 <= f <= 6 and -127 <= a <= 127 for f, a in got[:2])
    assert got[2] == "entropy source gave byte 2a 8 times in a row: mixing in timer jitter" \
        " (faces stay equally likely)"


STUCK_APP = """
import json, os, pdapp, pdclock
""" + HEADLESS_BOARD + """
class Screen:  # what the app puts on its display
    width, height = 128, 64
class View:
    def __init__(self):
        self.messages = []
    def message(self, lines):
        self.messages.append(lines)
    def clear(self):
        pass
out = []
for value in range(256):
    Board.random_bytes = staticmethod(lambda n, v=value: bytes([v]) * n)
    app = pdapp.App(Board(), {"CONSOLE": False})
    app.display, app.view = Screen(), View()
    recs = [app.roll(), app.roll()]  # the press that met the stuck source, and the next one
    out.append([value, [r["face"] for r in recs], app.rng.fault, app.view.messages])
print(json.dumps(out))
"""


def test_the_app_rolls_again_with_every_stuck_byte_and_says_so_on_the_console_and_the_screen():
    """On MicroPython: a source stuck on any of the 256 byte values; each press rolls, and the
    fault is said once on the console (pdrandom) and once on the screen, with the roll."""
    r = subprocess.run([micropython_exe(), "-X", "heapsize=8M", "-c", STUCK_APP], capture_output=True,
                       text=True, timeout=300, env={**os.environ, "MICROPYPATH": str(DEVICE)})
    assert r.returncode == 0, r.stderr[-2000:]
    *console, last = r.stdout.splitlines()
    got = json.loads(last)
    assert [g[0] for g in got] == list(range(256))
    for value, faces, fault, messages in got:
        assert all(1 <= f <= 6 for f in faces), value
        assert fault is not None and f"pipdream: {fault}" in console, value
        assert len(messages) == 1 and messages[0][0] == "entropy:", (value, messages)
        assert messages[0][-1] == f"rolled {faces[0]}" and "entropy source" in " ".join(messages[0]), value
    assert len([c for c in console if c.startswith("pipdream: entropy source")]) == 256


def test_the_console_does_not_say_os_urandom_when_it_failed_at_boot(tmp_path):
    from pipdream.sim import stage
    from pipdream.sim.runner import run_board
    from pipdream.sim.world import Script

    root = stage.stage_root(tmp_path / "root", natmod=stage.natmod_x64())
    s = Script().quiet(300, max_ms=30_000).press(15, hold_ms=100).quiet(400, max_ms=30_000).end()
    world = stage.board_world("pico", s, board_overrides={"urandom": "fails"})
    lines = run_board(world, script=root / "main.py", root=root, check=False).console
    board = [x for x in lines if x.startswith("pipdream: board pico")]
    assert board and "entropy timer jitter (os.urandom failed: OSError [Errno 19] ENODEV)" in board[0], lines
    assert "os.urandom (RP2040" not in board[0]
    assert any(x.startswith("pipdream: roll 1: ") for x in lines), lines
