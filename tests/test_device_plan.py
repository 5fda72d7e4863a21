"""Which natmod plan a board runs: the full plan when its scratch fits the board's SCRATCH_BUDGET,
else the streaming one; the app's console line names the plan."""

from __future__ import annotations

import pytest
from pipdream.deploy import board_module, known_boards
from pipdream.micropython import natmod_mpy
from pipdream.paths import MODELS
from support.device import run_json

FULL_SCRATCH = 16384  # the default model's full plan (bench/results/rp2040.json)


@pytest.mark.parametrize("budget, plan", [(None, "stream"), (8192, "stream"), (FULL_SCRATCH - 1, "stream"),
                                          (FULL_SCRATCH, "full"), (32768, "full")])
def test_the_full_plan_runs_when_its_scratch_fits_the_budget(budget, plan):
    info = run_json(f"""
import json, pdinfer
blob = open({str(MODELS / "default.blob")!r}, "rb").read()
model, name = pdinfer.load(blob, "natmod", None, {budget!r})
i = model.info()
print(json.dumps([name, i["plan"], i["scratch"], i["full"]["scratch"]]))
""", extra_path=(natmod_mpy("x64").parent,))
    assert info[:2] == ["natmod", plan] and info[3] == FULL_SCRATCH
    assert info[2] == FULL_SCRATCH if plan == "full" else info[2] < 2048  # the stream plan: 1,407 B


def test_a_named_plan_wins_over_the_budget():
    info = run_json(f"""
import json, pdinfer
blob = open({str(MODELS / "default.blob")!r}, "rb").read()
print(json.dumps([pdinfer.load(blob, "natmod", p, 32768)[0].info()["plan"] for p in ("stream", "full")]))
""", extra_path=(natmod_mpy("x64").parent,))
    assert info == ["stream", "full"]


def test_every_natmod_board_states_its_budget_and_the_pico_runs_the_full_plan():
    budgets = {name: board_module(name).constants.get("SCRATCH_BUDGET") for name in known_boards()
               if board_module(name).natmod_arch is not None}
    assert None not in budgets.values(), budgets
    assert budgets["pico"] >= FULL_SCRATCH and budgets["esp32"] < FULL_SCRATCH


def test_the_budget_is_applied_inside_one_parse_of_the_blob():
    """pipnet.Model(blob, FULL, budget): the full plan when its scratch fits, else the stream plan,
    from one Model (pdinfer.load no longer builds a stream model only to read the full plan's
    scratch); a bad budget is refused by name."""
    out = run_json(f"""
import json, pipnet
blob = open({str(MODELS / "default.blob")!r}, "rb").read()
full = pipnet.Model.FULL
res = [pipnet.Model(blob, full, b).info()["plan"] for b in (0, {FULL_SCRATCH - 1}, {FULL_SCRATCH})]
res.append(pipnet.Model(blob, budget=1 << 20).info()["plan"])  # a budget asks nothing of the stream plan
for bad in (-1, "x"):
    try:
        pipnet.Model(blob, full, bad)
    except (TypeError, ValueError) as e:
        res.append(str(e))
print(json.dumps(res))
""", extra_path=(natmod_mpy("x64").parent,))
    assert out == ["stream", "stream", "full", "stream", "budget -1 not in 0..2147483647",
                   "budget must be an integer"]
