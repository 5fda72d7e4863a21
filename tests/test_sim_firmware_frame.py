"""The simulated Pico charges what the real firmware costs: its one-core roll frame is within 10% of
the frame the deployed app takes on the real rp2 firmware (bench/results/rp2040_firmware.json), and
it charges the drawing of each drawer as measured there."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

from pipdream.sim.compute import app_costs_us, cycles_per_mac
from pipdream.sim.demo import DemoOptions, run_demo
from support import REPO

FIRMWARE = json.loads((REPO / "bench" / "results" / "rp2040_firmware.json").read_text())


def test_the_simulated_one_core_frame_is_within_10_percent_of_the_real_firmwares(tmp_path: Path):
    # core 1 never starts on this simulated Pico: the app runs on one core, as in rp2040js
    opts = DemoOptions(rolls=2, seed=3, out=tmp_path, show="none", board_overrides={"core1": "never"})
    log = run_demo(opts, log=lambda s: None)
    roll = log["rolls"][-1]
    tumble = roll["frame_ms"][1:-1]
    sim_ms = statistics.median(tumble)
    real = FIRMWARE["roll_as_shipped_one_core"]
    assert abs(sim_ms - real["frame_interval_ms_median"]) <= 0.10 * real["frame_interval_ms_median"], \
        (sim_ms, real)
    assert abs(len(roll["frame_ms"]) - real["frames"]) <= 0.10 * real["frames"]
    # and the frame is the image and the app's own work, not the image alone
    costs = app_costs_us()
    infer_ms = 955_488 * cycles_per_mac()["natmod_full"] / 125_000
    app_ms = (costs["window"]["natmod"] + costs["flush"] + costs["frame"]) / 1000
    assert sim_ms >= infer_ms + app_ms - 0.01, (sim_ms, infer_ms, app_ms)


def test_the_simulation_charges_the_drawing_the_firmware_measured():
    costs = app_costs_us()
    assert costs["window"] == {k: round(v * 1000) for k, v in FIRMWARE["window_ms"].items()}
    assert costs["window"]["python"] > 50 * costs["window"]["natmod"]  # the reason for the C kernel
    assert costs["flush"] == round(FIRMWARE["flush_ms"] * 1000)
