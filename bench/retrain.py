"""`pipdream retrain --quick` end to end, timed: the shipped style, big pips and the inverted die.

    .venv/bin/python bench/retrain.py            # about 12 minutes on 2 cores
    BENCH_PLAN=full BENCH_STYLES=shipped .venv/bin/python bench/retrain.py   # about 20 minutes

The full plan's figures go to bench/results/retrain_full.json, the quick plan's to retrain.json.

Runs the real command for each style into a fresh folder and writes bench/results/retrain.json:
wall time, each stage's seconds, the final figures (legible, accuracy, MSE, blob), the torch
threads and the machine's load average before and after (the 2 cores may be shared). The
render cache starts empty, so every render is in the time.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STYLES = {"shipped": ROOT / "host/pipdream/styles/shipped.toml",
          "big_pips": ROOT / "host/pipdream/styles/big_pips.toml",
          "inverted": ROOT / "host/pipdream/styles/inverted.toml"}
KEEP = ("legible", "legible_1bit", "accuracy", "accuracy_1bit", "mse", "float_legible", "float_mse",
        "mse_vs_float", "params", "macs", "blob_bytes", "boards")


def one(name: str, style: Path, out: Path, threads: int, quick: bool) -> dict:
    load_before = os.getloadavg()
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pipdream", "retrain", *(["--quick"] if quick else []),
                           "--style", str(style), "--out", str(out), "--threads", str(threads)],
                          cwd=ROOT, text=True, capture_output=True)
    wall = time.perf_counter() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    if done.returncode:
        raise SystemExit(f"{name}: retrain failed:\n{done.stderr[-2000:]}")
    metrics = json.loads((out / "model_metrics.json").read_text())
    state = json.loads((out / "retrain.json").read_text())
    return {"style": metrics["style"], "wall_seconds": round(wall, 1),
            # CPU time of the run, all threads: on a shared machine the wall time also holds
            # other people's work, the CPU time hardly does.
            "cpu_seconds": round(cpu, 1),
            "stage_seconds": {k: v.get("seconds") for k, v in state["figures"].items()},
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
            "printed_table": done.stdout.strip().splitlines()[-12:],
            **{k: metrics[k] for k in KEEP}}


def main() -> None:
    threads = int(os.environ.get("RETRAIN_THREADS", "2"))
    plan = os.environ.get("BENCH_PLAN", "quick")
    if plan not in ("quick", "full"):
        raise SystemExit(f"BENCH_PLAN is quick or full, not {plan!r}")
    command = "pipdream retrain" + (" --quick" if plan == "quick" else "")
    results = {"what": f"{command}, end to end (python -m pipdream), one style after the other",
               "host": platform.platform(), "cpus": os.cpu_count(), "torch_threads": threads,
               "date": time.strftime("%Y-%m-%d"), "styles": {}}
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["PIPDREAM_CACHE"] = str(Path(tmp) / "cache")  # a cold render cache: renders are timed
        chosen = os.environ.get("BENCH_STYLES", ",".join(STYLES)).split(",")  # e.g. BENCH_STYLES=big_pips
        for name, style in ((n, STYLES[n]) for n in chosen):
            results["styles"][name] = one(name, style, Path(tmp) / name, threads, plan == "quick")
            print(name, json.dumps({k: results["styles"][name][k]
                                    for k in ("wall_seconds", "cpu_seconds", "legible", "accuracy")}))
    out = ROOT / f"bench/results/retrain{'' if plan == 'quick' else '_full'}.json"
    out.write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
