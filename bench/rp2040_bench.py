"""RP2040 benchmark: cycles per image, per layer and per MAC of the kernels on a Cortex-M0+.

    .venv/bin/python bench/rp2040_bench.py [--blob models/default.blob] [--angles -127,-64,0,64,127]
        [--out bench/results/rp2040.json] [--doc docs/rp2040.md]
    make -C bench/rp2040            (the same, after building the images)

bench/rp2040/ builds the kernels and both executors with the armv6m natmod's
compiler and flags into bare-metal images linked in SRAM, and run.mjs steps
them on the rp2040js Cortex-M0+ core, reading its cycle counter at `bkpt`
markers. Measured, for the tuned build (the kernels the armv6m natmod gets)
and the portable C build:
- cycles per image of the full-frame and the streaming plan, every face at the
  given angle codes, and the output bytes, checked against reference.run;
- cycles per layer (a harness-only build that brackets every kernel call) and
  per MAC; the executor's share is the rest;
- the inner loops alone (cycles per MAC) and requantization per output.
Milliseconds are cycles / 125 MHz (the Pico's default clock) and / 133 MHz.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "host"))

from pipdream import reference  # noqa: E402
from pipdream.blob import load  # noqa: E402

BENCH_DIR = REPO / "bench" / "rp2040"
CLOCKS_MHZ = (125, 133)
TARGET_MS_AT_125 = 40.0
TARGET_INNER_CYCLES_PER_MAC = 6.0
IMPLS = ("tuned", "portable")
PLANS = ("full", "stream")


def build(blob: Path, build_dir: Path | None = None) -> Path:
    """make the images for `blob` (and install rp2040js); returns the build directory."""
    build_dir = Path(build_dir or BENCH_DIR / "build")
    cmd = ["make", "-C", str(BENCH_DIR), "--no-print-directory", "-s", "images", "node_modules",
           f"BLOB={blob.resolve()}", f"BUILD={build_dir.resolve()}", f"PY={sys.executable}"]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{res.stdout[-2000:]}{res.stderr[-4000:]}")
    return build_dir


def run_image(image: Path, pairs: list[tuple[int, int]], micro: bool = False) -> dict:
    """One run of an image on the emulator: run.mjs's JSON (runs, micro-benchmarks, ...)."""
    arg = ",".join(f"{f}:{a}" for f, a in pairs)
    cmd = ["node", str(BENCH_DIR / "run.mjs"), "--image", str(image), "--pairs", arg]
    res = subprocess.run(cmd + (["--micro"] if micro else []), capture_output=True, text=True,
                         cwd=BENCH_DIR)
    if res.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{res.stderr[-4000:]}")
    out = json.loads(res.stdout)
    if out["model"]["status"] != 0 or out["done"]["status"] != 0:
        raise RuntimeError(f"{image}: the image reported model {out['model']}, done {out['done']}")
    for r in out["runs"]:
        if r["status"] != 0:
            raise RuntimeError(f"{image}: {r['plan']} plan, pair {r['pair']}: status {r['status']}")
        r["image"] = np.frombuffer(bytes.fromhex(r["image"]), np.uint8)
    return out


def mismatches(out: dict, blob: bytes) -> list[str]:
    """Every run whose image is not reference.run's, byte for byte."""
    model = load(blob)
    faces = np.array([f for f, _ in out["pairs"]])
    codes = np.array([a for _, a in out["pairs"]])
    want = reference.run(model, faces, codes).reshape(len(faces), -1)
    bad = []
    for r in out["runs"]:
        diff = int((r["image"] != want[r["pair"]]).sum())
        if diff:
            bad.append(f"{r['plan']} plan, face {r['face']}, angle code {r['angle']}: {diff} bytes differ")
    return bad


def ms(cycles: float) -> dict[str, float]:
    return {f"ms_at_{mhz}mhz": round(cycles / (mhz * 1e3), 3) for mhz in CLOCKS_MHZ}


def layer_table(blob: bytes) -> list[dict]:
    model = load(blob)
    names = {1: "fc", 2: "convT", 3: "conv"}
    rows = []
    for j, L in enumerate(model.layers):
        co, ho, wo = L.out_shape
        rows.append({"layer": j, "kind": names[L.kind], "in": list(L.in_shape), "out": list(L.out_shape),
                     "kernel": L.kernel, "stride": L.stride, "outputs": co * ho * wo})
    return rows


def summarize(impl: str, timed: dict, layered: dict, blob: bytes) -> dict:
    """Per plan: cycles per image (timed build) and per layer (layer build)."""
    layers = layer_table(blob)
    plans = {}
    for plan in PLANS:
        runs = [r for r in timed["runs"] if r["plan"] == plan]
        cycles = [r["cycles"] for r in runs]
        macs = timed["plans"][plan]["layer_macs"]
        total_macs = sum(macs)
        worst = max(cycles)
        lruns = [r for r in layered["runs"] if r["plan"] == plan]
        per_layer = []
        for j, info in enumerate(layers):
            c = float(np.mean([r["layers"][j] for r in lruns]))
            per_layer.append({**info, "macs": macs[j], "calls": lruns[0]["calls"][j], "cycles": round(c),
                              "cycles_per_mac": round(c / macs[j], 2) if macs[j] else None, **ms(c)})
        lay_total = float(np.mean([r["cycles"] for r in lruns]))
        in_layers = sum(p["cycles"] for p in per_layer)
        plans[plan] = {
            "images": len(cycles),
            "scratch_bytes": timed["plans"][plan]["scratch_bytes"],
            "macs": total_macs,
            "cycles_per_image": {"min": min(cycles), "max": worst, "mean": round(float(np.mean(cycles)))},
            **{k: v for k, v in ms(worst).items()},
            "cycles_per_mac": round(worst / total_macs, 2),
            "meets_40ms_at_125mhz": worst / 125e3 <= TARGET_MS_AT_125,
            "layers": per_layer,
            "layer_build": {"cycles_per_image": round(lay_total), "in_kernels": in_layers,
                            "executor_and_harness": round(lay_total - in_layers)},
        }
    micro = {m["name"]: {"count": m["count"], "cycles": m["cycles"],
                         "cycles_per_unit": round(m["cycles"] / m["count"], 2)} for m in timed["micro"]}
    return {"impl": impl, "plans": plans, "micro": micro}


def markdown(result: dict) -> str:
    """The README table: per plan and per layer, cycles and ms at both clocks."""
    lines = []
    for impl in result["impls"]:
        for plan, p in impl["plans"].items():
            lines.append(f"**{impl['impl']} kernels, {plan} plan**: {p['cycles_per_image']['max']:,} cycles per "
                         f"image ({p['ms_at_125mhz']} ms at 125 MHz, {p['ms_at_133mhz']} ms at 133 MHz), "
                         f"{p['macs']:,} MACs, {p['cycles_per_mac']} cycles/MAC overall, "
                         f"{p['scratch_bytes']:,} bytes of scratch")
            lines.append("")
            lines.append("| layer | kind | out (CxHxW) | MACs | kernel calls | cycles | cycles/MAC | ms @125 | ms @133 |")
            lines.append("| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
            for r in p["layers"]:
                shape = "x".join(map(str, r["out"]))
                lines.append(f"| {r['layer']} | {r['kind']} | {shape} | {r['macs']:,} | {r['calls']} | "
                             f"{r['cycles']:,} | {r['cycles_per_mac']} | {r['ms_at_125mhz']} | {r['ms_at_133mhz']} |")
            lb = p["layer_build"]
            rest = lb["executor_and_harness"]
            lines.append(f"| | executor (rest of the layer build's {lb['cycles_per_image']:,}) | | | | {rest:,} | | "
                         f"{ms(rest)['ms_at_125mhz']} | {ms(rest)['ms_at_133mhz']} |")
            lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--blob", type=Path, default=REPO / "models" / "default.blob")
    ap.add_argument("--angles", default="-127,-64,0,64,127", help="angle codes, each with every face")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "rp2040.json")
    ap.add_argument("--doc", type=Path, default=None, help="also write the markdown tables here")
    args = ap.parse_args(argv)

    blob = args.blob.read_bytes()
    n_faces = load(blob).n_faces
    angles = [int(a) for a in args.angles.split(",")]
    pairs = [(f, a) for f in range(1, n_faces + 1) for a in angles]
    build_dir = build(args.blob)
    impls = []
    for impl in IMPLS:
        timed = run_image(build_dir / impl / "bench.bin", pairs, micro=True)
        layered = run_image(build_dir / impl / "bench-layers.bin", pairs[:2])
        bad = mismatches(timed, blob) + mismatches(layered, blob)
        if bad:
            print(f"{impl}: images differ from reference.run:\n  " + "\n  ".join(bad), file=sys.stderr)
            return 1
        impls.append(summarize(impl, timed, layered, blob))
        for plan, p in impls[-1]["plans"].items():
            print(f"{impl:8s} {plan:6s} {p['cycles_per_image']['max']:>10,} cycles  {p['ms_at_125mhz']:7.2f} ms "
                  f"@125 MHz  {p['cycles_per_mac']:5.2f} cycles/MAC")
    result = {
        "what": "pipdream kernels on a Cortex-M0+ (RP2040), cycles counted by the rp2040js emulator",
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
        "host": platform.platform(),
        "blob": str(args.blob.resolve().relative_to(REPO)) if args.blob.resolve().is_relative_to(REPO)
        else str(args.blob),
        "pairs": pairs,
        "all_images_match_reference": True,
        "targets": {"ms_per_image_at_125mhz": TARGET_MS_AT_125,
                    "inner_loop_cycles_per_mac": TARGET_INNER_CYCLES_PER_MAC},
        "impls": impls,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {args.out}")
    if args.doc:
        args.doc.write_text(markdown(result) + "\n")
        print(f"wrote {args.doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
