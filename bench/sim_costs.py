"""The simulated board's costs (pipdream.sim.compute's constants), derived from the measurements.

    .venv/bin/python bench/sim_costs.py     # prints CYCLES_PER_MAC and APP_COSTS_US to paste

The simulation reads nothing from bench/ at run time; tests/test_sim_costs.py checks that the
constants in pipdream/sim/compute.py are what these functions give from bench/results today:
- natmod on the Pico: rp2040.json (the armv6m natmod's kernels, "tuned", both plans; "natmod_full_x2":
  the full plan split between the two cores);
- viper and pure Python: rp2040_firmware.json's generate() on the real rp2 firmware (ms at 125 MHz
  over the default model's full-plan MACs); a backend not measured there is the natmod's figure times
  its slowdown against it on the unix port (micropython_speed.json);
- the app's window, flush and the rest of the frame: rp2040_firmware.json.
"""

from __future__ import annotations

import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def _read(name: str, results: Path) -> dict:
    return json.loads((results / name).read_text())


def cycles_per_mac(results: Path = RESULTS) -> dict[str, float]:
    rp = _read("rp2040.json", results)
    tuned = next(i for i in rp["impls"] if i["impl"] == "tuned")  # the armv6m natmod's kernels
    plans = tuned["plans"]
    table = {f"natmod_{plan}": round(p["cycles_per_image"]["mean"] / p["macs"], 3)
             for plan, p in plans.items()}
    two = tuned["two_cores"]["cycles_per_image"]["mean"]  # generate_part on both cores
    table["natmod_full_x2"] = round(two / plans["full"]["macs"], 3)
    speed = _read("micropython_speed.json", results)["backends"]
    natmod_ns = speed["natmod_full"]["ns_per_mac"]
    for backend in ("viper", "python"):
        table[f"{backend}_rows"] = round(table["natmod_full"] * speed[backend]["ns_per_mac"] / natmod_ns, 3)
    measured = _read("rp2040_firmware.json", results)["generate_ms"]
    for backend in ("viper", "python"):
        if backend in measured:  # ms at 125 MHz, the default model's full-plan MACs
            table[f"{backend}_rows"] = round(measured[backend] * 125_000 / plans["full"]["macs"], 3)
    return table


def app_costs_us(results: Path = RESULTS) -> dict:
    fw = _read("rp2040_firmware.json", results)
    window = {k: round(v * 1000) for k, v in fw["window_ms"].items()}
    flush = round(fw["flush_ms"] * 1000)
    rest = fw["frame_ms_one_core"] - fw["generate_ms"]["natmod_full"] - fw["window_ms"][fw["drawn_by"]] \
        - fw["flush_ms"]
    return {"window": window, "flush": flush, "frame": max(0, round(rest * 1000)), "freq": 125_000_000}


if __name__ == "__main__":
    print("CYCLES_PER_MAC =", cycles_per_mac())
    print("APP_COSTS_US =", app_costs_us())
