"""What one generate() costs on a simulated board: board cycles per MAC, by backend and plan.

The simulated board's clock charges each generate() `macs * cycles_per_mac / freq`
(sim/mpy/timed.py), so a roll takes the time it would take on the board, whatever this host's speed.

- natmod on the Pico: measured, cycle-exact, in rp2040js (bench/results/rp2040.json: the
  armv6m natmod's kernels, both plans, mean over 30 images; "natmod_full_x2": the full plan
  split between the two cores, modelled there from each core's share);
- viper and pure Python on the Pico: not measurable here (no MicroPython firmware runs in
  rp2040js), so estimated as the natmod's full-plan figure times their measured slowdown
  against it on the unix port (bench/results/micropython_speed.json);
- the ESP32 boards: no figures of their own; they take the Pico's cycles per MAC at their
  own clock (an assumption, said so in docs/simulation.md).
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
    return table
