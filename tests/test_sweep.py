"""The size sweep: its plan, slope fit and outputs (no real training here)."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from pipdream import sweep
from pipdream.decoder import param_count


def test_quick_plan_covers_sizes_with_and_without_hires_layers():
    p = sweep.plan(quick=True)
    assert {c.hires for c in p.configs} == {0, 2}
    sizes = [param_count(c) for c in p.configs]
    assert min(sizes) < 900 < max(sizes)  # spans the collapse the original design saw


def test_fit_slope_recovers_a_power_law():
    params = np.array([500.0, 1000, 4000, 16000])
    slope, _ = sweep.fit_slope(params, 3.0 * params ** (-2 / 3))
    assert slope == pytest.approx(-2 / 3)


def test_outputs_are_a_csv_and_two_plots(tmp_path):
    rows = [
        {"config": f"{c}_{c}_{c}_{c}_h{h}", "d1": c, "d2": c, "d3": c, "d4": c, "hires": h,
         "params": 100 * c * c, "macs": 1000 * c, "steps": 1, "batch": 1, "train_seconds": 0.1,
         "mse": 0.1 / c, "accuracy": 0.5, "accuracy_1bit": 0.4}
        for h in (0, 2) for c in (2, 4, 8)
    ]
    sweep.write_csv(tmp_path / "sweep.csv", rows)
    slopes = sweep.plot(tmp_path, rows)
    with (tmp_path / "sweep.csv").open() as f:
        assert len(list(csv.DictReader(f))) == 6
    assert (tmp_path / "sweep_loss.png").stat().st_size > 0
    assert (tmp_path / "sweep_accuracy.png").stat().st_size > 0
    assert slopes["hires 0"] == pytest.approx(-0.5)
