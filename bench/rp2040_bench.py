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
sys.path.insert(0, str(REPO / "bench"))  # benchlib, also when loaded by path

import benchlib  # noqa: E402
from pipdream import files, reference  # noqa: E402
from pipdream.blob import load  # noqa: E402

BENCH_DIR = REPO / "bench" / "rp2040"
CLOCKS_MHZ = (125, 133)
TARGET_MS_AT_125 = 40.0
TARGET_INNER_CYCLES_PER_MAC = 6.0
IMPLS = {  # build -> what it is
    "tuned": "the armv6m natmod's kernels: register-blocked, asm inner loops "
             "(pd_config_m0.h: natmod/kernels/armv6m/pd_blocked_m0.c, pd_m0_jobs.S)",
    "portable": "the portable C kernels (pd_config_ref.h): the reference path",
    "tuned1strip": "tuned, with a streaming scratch target that fits one strip "
                   "(-DPD_STREAM_TARGET_BYTES=65536)",
    "tunedc": "the tuned kernels with their C inner loops (pd_config_blocked.h): what the asm adds",
}
PLANS = ("full", "stream")
I2C_HZ = 400_000  # boards/board_pico.py I2C_FREQ
DOC_BEGIN, DOC_END = "<!-- rp2040_bench.py: begin -->", "<!-- rp2040_bench.py: end -->"
# micro-benchmark pairs (n = 16, n = 208 weights per channel): the inner loop's cycles per MAC
INNER_LOOPS = {
    "2 channels x 2 pixels, dense": "m0 2ch x 2px dense",
    "2 channels x 2 pixels, all activations 0": "m0 2ch x 2px zero",
    "1 channel x 4 pixels, dense": "m0 1ch x 4px dense",
    "1 channel x 4 pixels, all activations 0": "m0 1ch x 4px zero",
    "2 channels x 1 pixel (border pixels), dense": "m0 2ch x 1px dense",
}

def build(blob: Path, build_dir: Path | None = None) -> Path:
    """make the images for `blob` (and install rp2040js); returns the build directory."""
    build_dir = Path(build_dir or BENCH_DIR / "build")
    cmd = ["make", "-C", str(BENCH_DIR), "--no-print-directory", "-s", "images", "node_modules",
           f"BLOB={blob.resolve()}", f"BUILD={build_dir.resolve()}", f"PY={sys.executable}"]
    with files.locked(BENCH_DIR / "build"):  # node_modules and the shared objects: one make at a time
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
        cycles = [r["cycles"] for r in timed["runs"] if r["plan"] == plan]
        macs = timed["plans"][plan]["layer_macs"]
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
            "macs": sum(macs),
            "cycles_per_image": {"min": min(cycles), "max": worst, "mean": round(float(np.mean(cycles)))},
            **ms(worst),
            "cycles_per_mac": round(worst / sum(macs), 2),
            "meets_40ms_at_125mhz": worst / 125e3 <= TARGET_MS_AT_125,
            "layers": per_layer,
            "layer_build": {"images": len(lruns), "cycles_per_image": round(lay_total),
                            "in_kernels": in_layers, "executor": round(lay_total - in_layers)},
        }
    micro = {m["name"]: {"count": m["count"], "cycles": m["cycles"],
                         "cycles_per_unit": round(m["cycles"] / m["count"], 2)} for m in timed["micro"]}
    inner = {}
    for label, key in INNER_LOOPS.items():
        a, b = micro.get(f"{key} n=16"), micro.get(f"{key} n=208")
        if a and b:
            inner[label] = round((b["cycles"] - a["cycles"]) / (b["count"] - a["count"]), 2)
    out = {"impl": impl, "what": IMPLS[impl], "plans": plans,
           "two_cores": two_cores(timed, micro, plans["full"]), "micro": micro}
    if inner:
        out["inner_loop_cycles_per_mac"] = inner
        out["inner_loop_meets_target"] = max(inner[k] for k in inner if "border" not in k) \
            <= TARGET_INNER_CYCLES_PER_MAC
    req = micro.get("m0 requant and bookkeeping, no taps")
    if req:
        out["requant_and_bookkeeping_cycles_per_output"] = req["cycles_per_unit"]
    out["requant_c_cycles_per_output"] = micro["requant"]["cycles_per_unit"]
    out["requant_c_with_params_cycles_per_output"] = micro["requant+params"]["cycles_per_unit"]
    out["portable_dot_cycles_per_mac_n72"] = micro["pd_dot_u8 n=72"]["cycles_per_unit"]
    return out


def two_cores(timed: dict, micro: dict, full: dict) -> dict:
    """The full plan split between the RP2040's two cores (natmod generate_part), modelled from
    one-core runs: each core's share of every layer is timed on its own (rp2040js emulates one
    core), a layer ends when the slower core's share does, then both pass a barrier."""
    runs = [r for r in timed["runs"] if r["plan"] == "split2"]
    barrier = micro["barrier, partner there"]["cycles"]
    per_image, cores = [], []
    for r in runs:
        parts = r["parts"]
        layers = [parts[str(j)] for j in range(len(parts) - 1)]
        per_image.append(max(parts["begin"]) + sum(max(p) for p in layers) + len(layers) * barrier)
        cores.append([parts["begin"][c] + sum(p[c] for p in layers) for c in (0, 1)])
    worst = max(per_image)
    one = full["cycles_per_image"]["max"]
    return {
        "images": len(runs),
        "split": "each layer's output rows in two halves (pd_full_layer), a barrier after every layer",
        "cycles_per_image": {"min": min(per_image), "max": worst, "mean": round(float(np.mean(per_image)))},
        **ms(worst),
        "core_cycles_mean": [round(float(np.mean([c[k] for c in cores]))) for k in (0, 1)],
        "barrier_cycles": barrier,
        "barriers_per_image": len(runs[0]["parts"]) - 1,
        "speedup_over_one_core": round(one / worst, 2),
        "not_modelled": "contention of the two cores on the SRAM banks and the bus (the model assumes none), "
                        "the wait for the slower core is counted but not the poll loop's granularity "
                        "(under 10 cycles a barrier), XIP flash (all code and data in SRAM, as a natmod is)",
    }


def frame_model(impls: list[dict]) -> dict:
    """The Pico's roll frame: inference (one core / both cores) then the die window over I2C."""
    tuned = next(i for i in impls if i["impl"] == "tuned")
    sim = json.loads((REPO / "bench" / "results" / "sim_fps.json").read_text())
    i2c_bytes = sim["backends"]["natmod"]["i2c_bytes_per_frame"]
    i2c_ms = round(i2c_bytes * 9 / I2C_HZ * 1000, 3)  # 9 clocks a byte, address byte included
    one = tuned["plans"]["full"]["ms_at_125mhz"]
    two = tuned["two_cores"]["ms_at_125mhz"]
    return {
        "what": "modelled time of one roll-animation frame on a Pico at 125 MHz, default model, full plan",
        "i2c": {"bytes_per_frame": i2c_bytes, "hz": I2C_HZ, "ms": i2c_ms,
                "source": "bench/results/sim_fps.json (the app's die window on the simulated Pico)"},
        "one_core_ms": {"inference": one, "i2c": i2c_ms, "frame": round(one + i2c_ms, 3)},
        "two_cores_ms": {"inference": two, "i2c": i2c_ms, "frame": round(two + i2c_ms, 3)},
        "two_cores_i2c_overlapped_ms": {"inference": two, "i2c": i2c_ms, "frame": round(max(two, i2c_ms), 3),
                                        "note": "the I2C transfer by DMA while the next frame is computed: "
                                                "measured in overlap_dma (bench/rp2040_overlap.py)"},
        "target_ms": 20.0,
    }


def fmt(v: float) -> str:
    return f"{v:,.0f}" if v >= 1000 else f"{v:g}"


def row(*cells: object) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def markdown(result: dict) -> str:
    """The tables: per build and plan, cycles and ms at both clocks, per layer."""
    angles = ", ".join(str(a) for a in result["angles"])
    lines = [f"Measured by `bench/rp2040_bench.py` ({result['date']}, blob `{result['blob']}`, "
             f"{len(result['pairs'])} images per build and plan: every face at angle codes {angles}; "
             "the slowest image is shown).", "",
             row("build", "plan", "cycles per image", "ms @ 125 MHz", "ms @ 133 MHz", "MACs", "cycles/MAC",
                 "scratch bytes"),
             row("---", "---", *["---:"] * 6)]
    for impl in result["impls"]:
        for plan, p in impl["plans"].items():
            worst, macs, scratch = p["cycles_per_image"]["max"], p["macs"], p["scratch_bytes"]
            lines.append(row(impl["impl"], plan, f"{worst:,}", p["ms_at_125mhz"], p["ms_at_133mhz"],
                             f"{macs:,}", p["cycles_per_mac"], f"{scratch:,}"))
    lines.append("")
    for impl in result["impls"]:
        if impl["impl"] != "tuned":
            continue
        for plan, p in impl["plans"].items():
            lb = p["layer_build"]
            lines += [f"Per layer, tuned build, {plan} plan (from the layer build, which brackets every "
                      f"kernel call: {lb['cycles_per_image']:,} cycles per image there):", "",
                      row("layer", "kind", "out CxHxW", "MACs", "calls", "cycles", "cycles/MAC", "ms @ 125",
                          "ms @ 133"),
                      row("---:", "---", "---", *["---:"] * 6)]
            for r in p["layers"]:
                shape = "x".join(map(str, r["out"]))
                cells = (f"{r['macs']:,}", r["calls"], f"{r['cycles']:,}", r["cycles_per_mac"])
                lines.append(row(r["layer"], r["kind"], shape, *cells, r["ms_at_125mhz"], r["ms_at_133mhz"]))
            rest = ms(lb["executor"])
            lines += [row("", "executor", "", "", "", f"{lb['executor']:,}", "", rest["ms_at_125mhz"],
                          rest["ms_at_133mhz"]), ""]
        lines += ["Inner loops alone (cycles per MAC, the difference of two segment lengths):", "",
                  row("loop", "cycles/MAC"), row("---", "---:")]
        lines += [row(k, v) for k, v in impl["inner_loop_cycles_per_mac"].items()]
        req = (impl["requant_and_bookkeeping_cycles_per_output"], impl["requant_c_cycles_per_output"],
               impl["requant_c_with_params_cycles_per_output"], impl["portable_dot_cycles_per_mac_n72"])
        lines += ["", f"Requantization, cycles per output: asm with its per-group bookkeeping (no taps) "
                      f"{req[0]}; portable C `pd_requantize` {req[1]}, {req[2]} with its parameters read "
                      f"from the blob. Portable C dot product: {req[3]} cycles per MAC.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--blob", type=Path, default=REPO / "models" / "default.blob")
    ap.add_argument("--angles", default="-127,-64,0,64,127", help="angle codes, each with every face")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "rp2040.json")
    ap.add_argument("--doc", default=str(REPO / "docs" / "rp2040.md"),
                    help="markdown file whose generated block gets the tables ('' for none)")
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
            print(f"{impl:12s} {plan:6s} {p['cycles_per_image']['max']:>10,} cycles  "
                  f"{p['ms_at_125mhz']:7.2f} ms @125 MHz  {p['cycles_per_mac']:5.2f} cycles/MAC")
    result = {
        "what": "pipdream kernels on a Cortex-M0+ (RP2040), cycles counted by the rp2040js emulator",
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
        "host": platform.platform(),
        "blob": benchlib.repo_name(args.blob),
        "angles": angles,
        "pairs": pairs,
        "all_images_match_reference": True,
        "targets": {"ms_per_image_at_125mhz": TARGET_MS_AT_125,
                    "inner_loop_cycles_per_mac": TARGET_INNER_CYCLES_PER_MAC},
        "impls": impls,
        "frame": frame_model(impls),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if args.out.exists():  # the section bench/rp2040_overlap.py writes into the same file
        previous = json.loads(args.out.read_text())
        if "overlap_dma" in previous:
            result["overlap_dma"] = previous["overlap_dma"]
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {args.out}")
    benchlib.write_doc_block(args.doc, DOC_BEGIN, DOC_END, markdown(result), title="RP2040 benchmark")
    return 0


if __name__ == "__main__":
    sys.exit(main())
