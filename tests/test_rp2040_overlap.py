"""The die window sent by DMA on an emulated RP2040 while the next image is computed.

bench/rp2040/overlap.c does what device/pdi2c_dma.py does on a Pico (I2C0 set up as
machine.I2C leaves it, the window packed into IC_DATA_CMD halfwords, a DMA channel paced by
DREQ_I2C0_TX) and runs in rp2040js with overlap.mjs's I2C bus time and DREQ. Checked: the
images are the reference's, the bus carries exactly the app's window for each frame, each
transfer runs inside the next image's computation and takes the time of the SCL counts; the
recorded overlap_dma frame is made of its parts. Figures are bench/rp2040_overlap.py's.
"""

from __future__ import annotations

import importlib.util
import json

import pytest
from conftest import ROOT, SHIPPED_BLOB

_spec = importlib.util.spec_from_file_location("rp2040_overlap", ROOT / "bench" / "rp2040_overlap.py")
overlap = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(overlap)

PAIRS = [(1, -127), (6, 64), (3, 0)]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    if not SHIPPED_BLOB.exists():
        pytest.skip("no shipped blob yet")
    image = overlap.build(SHIPPED_BLOB, tmp_path_factory.mktemp("overlap") / "build")
    return overlap.run_image(image, PAIRS)


def test_every_window_reaches_the_display_while_the_next_image_is_computed(run):
    assert overlap.check(run, SHIPPED_BLOB.read_bytes()) == []
    assert len(run["bus"]) == 2 * (len(PAIRS) + 1)  # every window by DMA, then the last by the CPU
    assert {1 + len(b["data"]) // 2 for b in run["bus"]} == {8, 514}  # 522 bytes a frame


def test_a_transfer_takes_the_bus_time_of_the_scl_counts_pico_sdk_sets(run):
    t = run["i2c"]
    # pico-sdk at 125 MHz for 400 kHz: period 313, LCNT 3/5 of it, SPKLEN LCNT / 16
    assert (t["hcnt"], t["lcnt"], t["spklen"]) == (126, 187, 11)
    period = t["hcnt"] + t["spklen"] + 7 + t["lcnt"] + 1  # DW_apb_i2c: 332 cycles, 376.5 kHz
    for b in run["bus"]:
        n = 1 + len(b["data"]) // 2
        assert b["end"] - b["start"] == 9 * n * period + t["stop_cycles"]
    summary = overlap.summarize(run, json.loads((ROOT / "bench" / "results" / "rp2040.json").read_text()))
    assert summary["bus_bytes_per_frame"] == 522
    assert summary["transfer_cycles"]["max"] < summary["two_cores"]["compute_cycles"]
    assert summary["compute_difference_cycles_max"] < 100  # rp2040js: the DMA costs the core nothing


def test_the_recorded_overlap_frame_is_made_of_its_parts():
    results = json.loads((ROOT / "bench" / "results" / "rp2040.json").read_text())
    s = results["overlap_dma"]
    tuned = next(i for i in results["impls"] if i["impl"] == "tuned")
    two, c = s["two_cores"], s["cpu_cycles_per_frame"]
    assert two["compute_cycles"] == tuned["two_cores"]["cycles_per_image"]["max"]
    cpu = two["compute_cycles"] + c["pack_words_c"] + c["dma_setup"] + c["wait_when_done"]
    assert two["cpu_cycles"] == cpu
    assert two["frame_cycles"] == max(two["cpu_cycles"], s["transfer_cycles"]["max"])
    assert s["all_images_match_reference"] and s["bus_matches_the_apps_window"]
    assert s["bus_bytes_per_frame"] == results["frame"]["i2c"]["bytes_per_frame"] == 522
