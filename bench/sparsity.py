"""Training for zero activations (issue #13 item 4): what it does to legibility and AVR time.

    .venv/bin/python bench/sparsity.py LABEL=BLOB [LABEL=BLOB ...] [--step 17]
        [--out bench/results/sparsity.json] [--add]

Each blob is a model fine-tuned with `pipdream quantize --activity-weight W` (the commands
are in docs/training.md). For each one this measures, with no learned parts:
- legibility (greyscale and 1-bit) of its int8 dice, 6,000 random (face, angle) pairs, seed 0,
  and its MSE against the ground-truth renders;
- the share of hidden activations that are zero, and the MACs that read a non-zero one
  (what the AVR's zero-skipping core still does), from the integer reference;
- cycles per image of the real firmware built with it, in simavr: every face at the angle
  codes -127, -127 + step, ... (the test-hook build, no display), mean and worst.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "host"))

from avr_bench import sweep  # noqa: E402  (bench/ is the script's folder)
from pipdream import avr, dataset, legibility, reference  # noqa: E402
from pipdream.blob import load  # noqa: E402

N_DICE = 6000


def activation_figures(model, faces: np.ndarray, codes: np.ndarray) -> dict:
    """Zero share per hidden layer, and the MACs whose input activation is non-zero."""
    outs = reference.run_all_layers(model, faces, codes)[:-1]  # hidden layers, (N, H, W, C)
    zero = [float(np.mean(o == 0)) for o in outs]
    # A layer's MACs spread evenly over its inputs, so the MACs done scale with the non-zero share.
    first, rest = model.layers[0], model.layers[1:]
    done = sum(layer.macs * (1 - z) for layer, z in zip(rest, zero)) + first.macs
    return {"zero_share": [round(z, 4) for z in zero],
            "macs_read_nonzero": int(done), "macs": model.macs}


def avr_cycles(blob: Path, step: int, tmp: Path) -> dict:
    # avr_bench's sweep with this blob and no display: measured 1.5% below avr.json's sweep,
    # which drives the panel too (for the shipped blob at step 127: 11.70 M against 11.88 M).
    s = sweep(step, tmp / blob.stem, blob, display=False)
    return {"images": s["images"], "mean": s["mean"], "max": s["max"],
            "seconds_max_at_16mhz": round(avr.cycles_to_seconds(s["max"]), 4)}


def measure(label: str, blob: Path, step: int, tmp: Path) -> dict:
    model = load(blob.read_bytes())
    faces, angles = dataset.sample_labels(N_DICE, np.random.default_rng(0))
    codes = reference.angle_code(dataset.angle_to_latent(angles))
    images = reference.run(model, faces, codes)  # (N, 32, 32) uint8
    truth = dataset.render_batch(faces, angles)
    mse = float(np.mean((images / 255.0 - truth / 255.0) ** 2))
    return {"label": label, "blob": str(blob), "mse": round(mse, 6),
            **{k: v for k, v in legibility.judge(images, faces).items() if "by_face" not in k},
            **activation_figures(model, faces[:600], codes[:600]),
            "avr_cycles": avr_cycles(blob, step, tmp)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("models", nargs="+", help="LABEL=BLOB")
    p.add_argument("--step", type=int, default=17, help="angle code step of the AVR sweep")
    p.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "sparsity.json")
    p.add_argument("--add", action="store_true",
                   help="keep the rows already in --out (a label measured again is replaced)")
    args = p.parse_args()
    rows = json.loads(args.out.read_text())["models"] if args.add and args.out.exists() else []
    with tempfile.TemporaryDirectory() as tmp:
        for item in args.models:
            label, _, path = item.partition("=")
            rows = [r for r in rows if r["label"] != label]
            rows.append(measure(label, Path(path), args.step, Path(tmp)))
            print(json.dumps(rows[-1]))
    args.out.write_text(json.dumps({"what": __doc__.split("\n")[0], "n_dice": N_DICE,
                                    "models": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
