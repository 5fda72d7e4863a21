"""The simulated board's costs are constants in pipdream.sim.compute (an install has no bench/),
and they are exactly what bench/results says today (bench/sim_costs.py derives them)."""

from __future__ import annotations

import importlib.util

from pipdream.sim import compute
from support import REPO


def _bench():
    spec = importlib.util.spec_from_file_location("sim_costs", REPO / "bench" / "sim_costs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_cycles_per_mac_are_the_measured_ones():
    assert compute.CYCLES_PER_MAC == _bench().cycles_per_mac()


def test_the_apps_frame_costs_are_the_measured_ones():
    assert compute.APP_COSTS_US == _bench().app_costs_us()

