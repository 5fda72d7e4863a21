"""Size/quality sweep: train a grid of decoder configs, tabulate and plot loss vs params.

    pipdream sweep --quick     # a few minutes on 2 cores, short training per config
    pipdream sweep             # the longer grid
"""

from __future__ import annotations

import csv
import time
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from pipdream import dataset, evaluate  # noqa: E402
from pipdream.decoder import DecoderConfig, mac_count, param_count  # noqa: E402
from pipdream.train import TrainConfig, decode, train  # noqa: E402

FIELDS = ["config", "d1", "d2", "d3", "d4", "hires", "params", "macs", "steps", "batch",
          "train_seconds", "mse", "accuracy", "accuracy_1bit"]


@dataclass(frozen=True)
class SweepPlan:
    configs: tuple[DecoderConfig, ...]
    train: TrainConfig
    n_eval: int


def plan(quick: bool, seed: int = 0) -> SweepPlan:
    """Uniform channel widths, each with and without the two 32x32 hires layers."""
    widths = (2, 3, 4, 6, 8, 12) if quick else (2, 3, 4, 5, 6, 8, 10, 12, 16)
    configs = tuple(DecoderConfig(c, c, c, c, h) for h in (0, 2) for c in widths)
    if quick:
        tc = TrainConfig(steps=600, batch=64, lr=1e-2, warmup=50, n_train=20000, seed=seed)
        return SweepPlan(configs, tc, n_eval=1000)
    tc = TrainConfig(steps=4000, batch=128, lr=1e-2, warmup=200, n_train=60000, seed=seed)
    return SweepPlan(configs, tc, n_eval=3000)


def run_one(cfg: DecoderConfig, tc: TrainConfig, n_eval: int, progress: bool = True) -> dict:
    """Train one config and score it on n_eval fresh random dice."""
    model, metrics = train(cfg, tc, progress=progress)
    faces, angles = dataset.sample_labels(n_eval, np.random.default_rng(tc.seed + 20_000))
    images = decode(model, faces, dataset.angle_to_latent(angles))  # (N, 32, 32) uint8
    scores = evaluate.score_images(images, faces, angles)
    return {
        "config": cfg.name(), **cfg.to_dict(), "params": param_count(cfg), "macs": mac_count(cfg),
        "steps": tc.steps, "batch": tc.batch, "train_seconds": metrics["train_seconds"], **scores,
    }


def write_csv(path: Path, rows: list[dict]) -> None:
    from pipdream import files

    with files.atomic(path) as tmp, tmp.open("w", newline="") as f:  # a stopped sweep keeps whole rows
        w = csv.DictWriter(f, FIELDS)
        w.writeheader()
        w.writerows(rows)


def fit_slope(params: np.ndarray, mse: np.ndarray) -> tuple[float, float]:
    """Least-squares line through (log params, log mse): (slope, intercept)."""
    slope, intercept = np.polyfit(np.log(params), np.log(mse), 1)
    return float(slope), float(intercept)


def plot(out: Path, rows: list[dict]) -> dict[str, float]:
    """sweep_loss.png (log-log, fitted slopes) and sweep_accuracy.png; returns the slopes."""
    slopes: dict[str, float] = {}
    fig, ax = plt.subplots(figsize=(6, 4))
    fig2, ax2 = plt.subplots(figsize=(6, 4))
    all_p = np.array([r["params"] for r in rows], float)
    all_m = np.array([r["mse"] for r in rows], float)
    for hires, marker in ((0, "o"), (2, "s")):
        sel = [r for r in rows if r["hires"] == hires]
        if not sel:
            continue
        p = np.array([r["params"] for r in sel], float)
        m = np.array([r["mse"] for r in sel], float)
        label = f"hires {hires}"
        if len(sel) >= 2:
            slopes[label] = fit_slope(p, m)[0]
            label += f" (slope {slopes[label]:.2f})"
        ax.loglog(p, m, marker, label=label)
        ax2.semilogx(p, [r["accuracy"] for r in sel], marker + "-", label=f"hires {hires} 8-bit")
        ax2.semilogx(p, [r["accuracy_1bit"] for r in sel], marker + ":",
                     label=f"hires {hires} 1-bit")
    if len(rows) >= 2:
        slopes["all"], c = fit_slope(all_p, all_m)
        xs = np.geomspace(all_p.min(), all_p.max(), 20)
        ax.loglog(xs, np.exp(c) * xs ** slopes["all"], "k--", lw=1,
                  label=f"fit, all: slope {slopes['all']:.2f}")
    ax.set_xlabel("parameters")
    ax.set_ylabel("MSE vs ground truth")
    ax.set_title("decoder size vs loss")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "sweep_loss.png", dpi=100)
    ax2.set_xlabel("parameters")
    ax2.set_ylabel("eval-CNN accuracy")
    ax2.set_ylim(0, 1.02)
    ax2.set_title("decoder size vs recognised dice")
    ax2.grid(True, which="both", alpha=0.3)
    ax2.legend(fontsize=8)
    fig2.tight_layout()
    fig2.savefig(out / "sweep_accuracy.png", dpi=100)
    plt.close(fig)
    plt.close(fig2)
    return slopes


def sweep(out: Path, quick: bool, seed: int = 0, progress: bool = True) -> tuple[list[dict], dict]:
    """Run the plan; the CSV is rewritten after every config so a stopped sweep keeps its rows."""
    out.mkdir(parents=True, exist_ok=True)
    p = plan(quick, seed)
    rows: list[dict] = []
    t0 = time.perf_counter()
    for cfg in p.configs:
        rows.append(run_one(cfg, p.train, p.n_eval, progress))
        r = rows[-1]
        print(f"{r['config']:>14}  params {r['params']:6d}  mse {r['mse']:.5f}  "
              f"acc {r['accuracy']:.3f}  acc1 {r['accuracy_1bit']:.3f}  {r['train_seconds']}s",
              flush=True)
        write_csv(out / "sweep.csv", rows)
    slopes = plot(out, rows)
    return rows, {"slopes": slopes, "seconds": round(time.perf_counter() - t0, 1)}
