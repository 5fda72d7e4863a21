"""The ATmega328p die is fair: a watchdog-jitter seed, a small PRNG, faces by rejection.

The face and angle mappings (boards/atmega328p/src/die_map.h) are pure C, compiled here for
the host and checked over their whole input domain; the seed and the face stream come from
the firmware itself running in simavr.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter

import numpy as np
from pipdream import avr
from support.device import DEVICE

sys.path.insert(0, str(DEVICE))
import pdrandom  # noqa: E402

MAP_CHECK = r"""
#include <stdio.h>
#include "die_map.h"
int main(void) {
    for (int b = 0; b < 256; b++) {
        uint8_t ok;
        int8_t a = die_angle_from_byte((uint8_t)b, &ok);
        printf("%d %d %d %d\n", b, die_face_from_byte((uint8_t)b), ok, a);
    }
    return 0;
}
"""


def mapping_table(tmp_path) -> list[tuple[int, int, int, int]]:
    src = tmp_path / "map_check.c"
    src.write_text(MAP_CHECK)
    exe = tmp_path / "map_check"
    cmd = ["cc", "-std=c99", "-Wall", "-Werror", "-I", str(avr.BOARD / "src"), str(src), "-o", str(exe)]
    subprocess.run(cmd, check=True)
    out = subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout
    return [tuple(int(v) for v in line.split()) for line in out.splitlines()]


def test_the_face_mapping_is_exhaustively_uniform(tmp_path):
    table = mapping_table(tmp_path)
    assert len(table) == 256
    counts = Counter(face for _, face, _, _ in table)
    assert {f: counts[f] for f in range(1, 7)} == {f: 40 for f in range(1, 7)}
    assert counts[0] == 16  # 0 = rejected: the draw takes another byte
    assert set(counts) == set(range(7))


def test_the_face_mapping_is_the_apps_on_every_byte(tmp_path):
    """One mapping: die_map.h draws the face pdrandom.face_from_byte draws, for all 256 bytes."""
    app = [pdrandom.face_from_byte(b) or 0 for b in range(256)]  # None (rejected) is DIE_REJECT
    assert [face for _, face, _, _ in mapping_table(tmp_path)] == app


def test_the_angle_mapping_gives_every_code_exactly_once(tmp_path):
    table = mapping_table(tmp_path)
    codes = [a for _, _, ok, a in table if ok]
    assert sorted(codes) == list(range(-127, 128))
    assert [b for b, _, ok, _ in table if not ok] == [255]


def test_seeds_differ_across_boots_with_different_watchdog_timing(tmp_path):
    elf = avr.build_firmware()
    seeds = {w: avr.run_sim(elf, tmp_path / f"wdt{w}", rolls=0, wdt_seed=w).seed for w in (1, 2, 3, 4, 5)}
    assert len(set(seeds.values())) == len(seeds), seeds
    # the simulation is deterministic: the same watchdog timing boots to the same seed, so the
    # differences above come from the watchdog jitter alone
    assert avr.run_sim(elf, tmp_path / "again", rolls=0, wdt_seed=3).seed == seeds[3]


def test_the_firmware_face_stream_passes_the_chi_square_and_pair_tests(tmp_path):
    n = 12000
    run = avr.run_sim(avr.build_firmware(hook=True), tmp_path, faces=n, max_seconds=20)
    faces = np.array(run.info["faces"])
    assert faces.size == n and set(np.unique(faces)) == set(range(1, 7))
    counts = np.bincount(faces, minlength=7)[1:]
    chi2 = float(((counts - n / 6) ** 2 / (n / 6)).sum())
    assert chi2 < 15.09, (chi2, counts)  # 5 degrees of freedom, 1%
    pairs = np.zeros((6, 6))
    np.add.at(pairs, (faces[:-1] - 1, faces[1:] - 1), 1)
    e = (n - 1) / 36
    chi2_pairs = float(((pairs - e) ** 2 / e).sum())
    assert chi2_pairs < 57.34, chi2_pairs  # 35 degrees of freedom, 1%


def test_the_tumble_takes_no_numbers_from_the_dies_stream(tmp_path):
    """The rolled face and angle are drawn before the tumble, whose faces come from a
    separate stream: after a tumble the die's stream goes on exactly where it was (a
    forced roll draws nothing from it, with or without the tumble)."""
    elf = avr.build_firmware(hook=True)
    alone = avr.run_sim(elf, tmp_path / "alone", faces=200).info["faces"]
    after = avr.run_sim(elf, tmp_path / "tumble", forced=[(2, 30), (5, -80)], tumble=True, faces=200)
    assert [len(r.frames) for r in after.rolls] == [int(after.info["frames"])] * 2
    assert after.info["faces"] == alone
