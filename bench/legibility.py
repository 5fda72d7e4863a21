"""The legibility judge: its validation on renders, the shipped models' figures, worst-case grids.

    .venv/bin/python bench/legibility.py [--n 6000] [--seed 0] [--out bench/results/legibility.json] \
        [--images docs/images]

About 2 minutes on 2 cores (the integer reference draws default.blob's 6,000 dice in ~45 s).
- validation: n random renders (the pairs `pipdream evaluate` draws for the seed) and every
  face at every 0.25 degree, greyscale and as the OLED shows them (1-bit, 2x); the range of
  thresholds over which every one of the random renders stays legible;
- models (default.blob, decoder.pt, fast.blob, fast_decoder.pt) on the same n pairs:
  legible and legible_1bit overall and per face, what went wrong (too few pips, too many,
  specks, pips touching at a corner: an image can have several), and for the sixes the
  failure rate per 10-degree bin of angle;
- each model's threshold margin: the share of dice that stay legible with the threshold moved
  d either way, for d up to 32;
- docs/images/legibility_<model>.png: 16 of each model's worst dice (failures, most wrong
  first, then the legible dice with the least threshold margin; at least 3 degrees apart),
  the greyscale image above what the OLED shows, captioned with what the judge read.
docs/training.md ("The legibility judge") quotes the results.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from pipdream import dataset, evaluate, grid, legibility, paths

MODELS = {  # name -> (image source, path)
    "default": ("blob", paths.MODELS / "default.blob"),
    "decoder": ("checkpoint", paths.MODELS / "decoder.pt"),
    "fast": ("blob", paths.MODELS / "fast.blob"),
    "fast_decoder": ("checkpoint", paths.MODELS / "fast_decoder.pt"),
}
GRIDS = ("default", "decoder", "fast")
REPO = Path(__file__).resolve().parents[1]
WORST = 16  # cases per grid
BIN = 10  # degrees per bin of the sixes' failure rate


def validate(n: int, seed: int) -> dict:
    d = dataset.make_dataset(n, seed)
    report = legibility.judge(d["images"], d["faces"])
    angles = np.arange(-90.0, 90.0, 0.25)
    faces = np.repeat(np.arange(1, 7), len(angles))
    sweep = dataset.render_batch(faces, np.tile(angles, 6))
    band = [t for t in range(0, 257, 4) if legibility.is_legible(d["images"], d["faces"], t).all()]
    holes = legibility.hole_labels(d["images"])
    areas = np.concatenate([np.bincount(h.ravel())[1:] for h in holes])
    return {
        "random_renders": n, "seed": seed,
        "legible": report["legible"], "legible_1bit": report["legible_1bit"],
        "sweep_renders": len(faces), "sweep_step_degrees": 0.25,
        "sweep_legible": float(legibility.is_legible(sweep, faces).mean()),
        "sweep_legible_1bit": float(legibility.is_legible(legibility.display_bits(sweep), faces).mean()),
        "thresholds_all_legible": [min(band), max(band)], "threshold_step": 4,
        "pip_area_min_max": [int(areas.min()), int(areas.max())], "min_pip_area": legibility.MIN_PIP_AREA,
    }


def what_went_wrong(c: legibility.Count, faces: np.ndarray) -> dict:
    return {
        "too_few_pips": int((c.pips < faces).sum()), "too_many_pips": int((c.pips > faces).sum()),
        "specks": int((c.specks > 0).sum()), "touching": int(c.touching.sum()),
        "touching_only": int(((c.pips == faces) & (c.specks == 0) & c.touching).sum()),
    }


def sixes_by_angle(ok: np.ndarray, faces: np.ndarray, angles: np.ndarray) -> dict:
    """'lo..hi' degrees -> [failed sixes, sixes] in that bin."""
    out = {}
    for lo in range(-90, 90, BIN):
        sel = (faces == 6) & (angles >= lo) & (angles < lo + BIN)
        out[f"{lo}..{lo + BIN}"] = [int((~ok[sel]).sum()), int(sel.sum())]
    return out


def margins(images: np.ndarray, faces: np.ndarray, step: int = 4) -> np.ndarray:
    """(N,) how far the threshold may move either way, in steps of `step`, with the die still
    legible at both ends, up to 64: its safety margin (-1: not legible at the threshold)."""
    out = np.where(legibility.is_legible(images, faces), 0, -1)
    for d in range(step, 65, step):  # up to 128 +- 64
        ok = (legibility.is_legible(images, faces, legibility.THRESHOLD - d)
              & legibility.is_legible(images, faces, legibility.THRESHOLD + d))
        out[(out == d - step) & ok] = d
    return out


def caption(c: legibility.Count, i: int, margin: int) -> str:
    if margin >= 0:
        return f"ok to 128+-{margin}"
    words = [f"{c.pips[i]} pips"]
    if c.specks[i]:
        words.append(f"{c.specks[i]} speck" + ("s" if c.specks[i] > 1 else ""))
    if c.touching[i]:
        words.append("touch")
    return ", ".join(words)


def worst(c: legibility.Count, faces: np.ndarray, angles: np.ndarray, margin: np.ndarray,
          k: int = WORST, apart: float = 3.0) -> np.ndarray:
    """k dice: the failures, the most wrong first (pips off by most, then specks, then
    touching), then the legible dice with the least threshold margin (the closest calls).
    Within each group, no two of a face within `apart` degrees while others are left;
    shown by angle."""
    bad = np.abs(c.pips - faces) * 4 + np.minimum(c.specks, 3) + c.touching
    order = np.lexsort((angles, -bad, margin))  # margin -1 (failures) first
    chosen: list[int] = []
    for group in (order[margin[order] < 0], order[margin[order] >= 0]):
        spaced: list[int] = []
        for i in group:
            if len(chosen) + len(spaced) < k and all(
                    faces[j] != faces[i] or abs(angles[j] - angles[i]) >= apart for j in spaced):
                spaced.append(int(i))
        chosen += spaced + [int(i) for i in group if i not in spaced][: k - len(chosen) - len(spaced)]
    chosen_idx = np.array(chosen[:k], dtype=np.int64)
    return chosen_idx[np.argsort(angles[chosen_idx])]


def save_worst(path: Path, images: np.ndarray, c: legibility.Count, faces: np.ndarray,
               angles: np.ndarray, margin: np.ndarray) -> None:
    idx = worst(c, faces, angles, margin)
    grey = images[idx].repeat(2, axis=1).repeat(2, axis=2)  # (k, 64, 64) like the display
    shown = legibility.display_bits(images[idx])
    tiles, labels = [], []
    for row in range(0, len(idx), 8):
        part = slice(row, row + 8)
        tiles += [grey[part], shown[part]]
        labels += [f"{faces[i]} @ {angles[i]:+.1f}" for i in idx[part]]
        labels += [caption(c, i, margin[i]) for i in idx[part]]
    grid.save_grid(path, np.concatenate(tiles), labels, scale=2, cols=min(8, len(idx)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=6000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "legibility.json")
    ap.add_argument("--images", type=Path, default=REPO / "docs" / "images")
    args = ap.parse_args()
    t0 = time.perf_counter()
    result = {"command": "python bench/legibility.py", "validation": validate(args.n, args.seed),
              "models": {}}
    faces, angles = dataset.sample_labels(args.n, np.random.default_rng(args.seed))
    for name, (kind, path) in MODELS.items():
        images = evaluate.SOURCES[kind][0](path, faces, dataset.angle_to_latent(angles))
        c = legibility.count(images)
        ok = (c.pips == faces) & (c.specks == 0) & ~c.touching
        report = legibility.judge(images, faces)
        assert report["legible"] == float(ok.mean())
        result["models"][name] = {
            "path": str(path.relative_to(REPO)), "n": args.n, "seed": args.seed, **report,
            "failures": what_went_wrong(c, faces), "sixes_failed_by_angle": sixes_by_angle(ok, faces, angles),
        }
        margin = margins(images, faces)
        assert ((margin >= 0) == ok).all()
        result["models"][name]["threshold_margin"] = {  # share of dice legible from 128-d to 128+d
            str(d): float((margin >= d).mean()) for d in (0, 8, 16, 24, 32)}
        if name in GRIDS:
            save_worst(args.images / f"legibility_{name}.png", images, c, faces, angles, margin)
        print(name, report["legible"], report["legible_1bit"], flush=True)
    result["seconds"] = round(time.perf_counter() - t0, 1)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
