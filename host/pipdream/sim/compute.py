"""What one generate() costs on a simulated board: board cycles per MAC, by backend and plan.

The simulated board's clock charges each generate() `macs * cycles_per_mac / freq`
(sim/mpy/timed.py), so a roll takes the time it would take on the board, whatever this host's speed.

- natmod on the Pico: measured, cycle-exact, in rp2040js (bench/results/rp2040.json: the
  armv6m natmod's kernels, both plans, mean over 30 images; "natmod_full_x2": the full plan
  split between the two cores, modelled there from each core's share);
- viper and pure Python on the Pico: measured on the real rp2 firmware in rp2040js
  (bench/results/rp2040_firmware.json, the default model's generate()); a backend not measured
  there is estimated as the natmod's full-plan figure times its slowdown against it on the unix
  port (bench/results/micropython_speed.json);
- the ESP32 boards: no figures of their own; they take the Pico's cycles per MAC at their
  own clock (an assumption, said so in docs/simulation.md).

And what the app's own Python costs a Pico per frame (app_costs_us): drawing a die window per
drawer, flushing it to the DMA channel, and the rest of the frame loop, measured on the real rp2
firmware in rp2040js (bench/results/rp2040_firmware.json); the other boards take them in the
same cycles at their clock.
"""

from __future__ import annotations

import json
from functools import cache

from pipdream.paths import REPO

RESULTS = REPO / "bench" / "results"


@cache
def cycles_per_mac() -> dict[str, float]:
    """{"natmod_full": ..., "natmod_full_x2": ..., "natmod_stream": ..., "viper_rows": ...,
    "python_rows": ...}."""
    rp = json.loads((RESULTS / "rp2040.json").read_text())
    tuned = next(i for i in rp["impls"] if i["impl"] == "tuned")  # the armv6m natmod's kernels
    plans = tuned["plans"]
    table = {f"natmod_{plan}": round(p["cycles_per_image"]["mean"] / p["macs"], 3)
             for plan, p in plans.items()}
    two = tuned["two_cores"]["cycles_per_image"]["mean"]  # generate_part on both cores
    table["natmod_full_x2"] = round(two / plans["full"]["macs"], 3)
    speed = json.loads((RESULTS / "micropython_speed.json").read_text())["backends"]
    natmod_ns = speed["natmod_full"]["ns_per_mac"]
    for backend in ("viper", "python"):
        table[f"{backend}_rows"] = round(table["natmod_full"] * speed[backend]["ns_per_mac"] / natmod_ns, 3)
    measured = json.loads((RESULTS / "rp2040_firmware.json").read_text())["generate_ms"]
    for backend in ("viper", "python"):
        if backend in measured:  # ms at 125 MHz, the default model's full-plan MACs
            table[f"{backend}_rows"] = round(measured[backend] * 125_000 / plans["full"]["macs"], 3)
    return table


@cache
def app_costs_us() -> dict:
    """{"window": {drawer: us}, "flush": us, "frame": us}: a Pico at 125 MHz, from
    rp2040_firmware.json. "frame" is the frame loop besides generate(), the window and the flush:
    the measured one-core frame less those three."""
    fw = json.loads((RESULTS / "rp2040_firmware.json").read_text())
    window = {k: round(v * 1000) for k, v in fw["window_ms"].items()}
    flush = round(fw["flush_ms"] * 1000)
    rest = fw["frame_ms_one_core"] - fw["generate_ms"]["natmod_full"] - fw["window_ms"][fw["drawn_by"]] \
        - fw["flush_ms"]
    return {"window": window, "flush": flush, "frame": max(0, round(rest * 1000)), "freq": 125_000_000}
