"""Instruction counts per image of the C kernels' host build, both plans (valgrind/callgrind).

    .venv/bin/python bench/kernels_callgrind.py [--blob models/default.blob] [--images 8]

Compiles bench/kernels_callgrind.c with the kernels (cc -O2) twice, with the
portable kernels (the reference, pd_config_ref.h) and with the register-blocked
ones the x64 natmod runs (pd_config_blocked.h: pd_blocked.c with its C inner loops),
runs each under `valgrind --tool=callgrind` collecting only inside
pd_generate_full / pd_generate_stream, and writes
bench/results/host_callgrind.json: instructions per image, per MAC and per plan
for each kernel set, with the plans' scratch bytes and MACs.
Instruction counts are deterministic (no timing), so the figures are repeatable.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from pipdream import ckernels
from pipdream.blob import load
from pipdream.plan import FULL, STREAM, plan

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
DRIVER = BENCH / "kernels_callgrind.c"
RESULT = BENCH / "results" / "host_callgrind.json"
CFLAGS = ["-std=c99", "-O2"]
KERNEL_SETS = {"portable": "ref", "blocked": "blocked"}  # kernel set -> its config header's variant


def build(tmp: Path, cc: str, kernels: str) -> Path:
    exe = tmp / f"kernels_callgrind_{kernels}"
    cmd = [cc, *CFLAGS, *ckernels.config_flags(KERNEL_SETS[kernels]), "-I", str(ckernels.KERNELS),
           str(DRIVER), *map(str, ckernels.c_sources()), "-o", str(exe)]
    subprocess.run(cmd, check=True)
    return exe


def collected(exe: Path, blob: Path, kind: str, images: int, tmp: Path) -> int:
    """Instructions executed inside pd_generate_<kind> over `images` images."""
    out = tmp / f"callgrind.{kind}.out"
    res = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                          f"--toggle-collect=pd_generate_{kind}", str(exe), str(blob), kind, str(images)],
                         capture_output=True, text=True, check=True)
    m = re.search(r"Collected : (\d+)", res.stderr)
    if not m:
        raise RuntimeError(f"no callgrind summary:\n{res.stderr}")
    return int(m.group(1))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--blob", type=Path, default=REPO / "models" / "default.blob")
    ap.add_argument("--images", type=int, default=8)
    ap.add_argument("--cc", default="cc")
    ap.add_argument("--out", type=Path, default=RESULT)
    args = ap.parse_args(argv)
    if not shutil.which("valgrind"):
        print("valgrind is not installed (scripts/setup.sh installs it)", file=sys.stderr)
        return 2
    data = args.blob.read_bytes()
    model = load(data)
    cc_version = subprocess.run([args.cc, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    result = {
        "what": "instructions per image of the C kernels (host build) inside pd_generate_*, "
                "valgrind callgrind",
        "command": "python bench/kernels_callgrind.py",
        "blob": str(args.blob.relative_to(REPO)) if args.blob.is_relative_to(REPO) else str(args.blob),
        "blob_sha256": hashlib.sha256(data).hexdigest(),
        "compiler": f"{cc_version} {' '.join(CFLAGS)}",
        "machine": platform.machine(),
        "images": args.images,
        "kernels": {},
    }
    with tempfile.TemporaryDirectory() as tmp:
        for kernels in KERNEL_SETS:
            exe = build(Path(tmp), args.cc, kernels)
            config = f"-include natmod/kernels/pd_config_{KERNEL_SETS[kernels]}.h"
            plans = result["kernels"][kernels] = {"defines": config, "plans": {}}
            for name, kind in (("full", FULL), ("stream", STREAM)):
                info = plan(model, kind)
                per_image = collected(exe, args.blob, name, args.images, Path(tmp)) / args.images
                plans["plans"][name] = {
                    "instructions_per_image": round(per_image),
                    "macs_per_image": info.macs,
                    "instructions_per_mac": round(per_image / info.macs, 2),
                    "scratch_bytes": info.scratch_bytes,
                    "strips": info.strips,
                    "acc_rows": info.acc_rows,
                }
            full, stream = plans["plans"]["full"], plans["plans"]["stream"]
            plans["stream_vs_full"] = {
                "macs": round(stream["macs_per_image"] / full["macs_per_image"], 4),
                "instructions": round(stream["instructions_per_image"] / full["instructions_per_image"], 4),
                "scratch": round(stream["scratch_bytes"] / full["scratch_bytes"], 4),
            }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    for kernels, k in result["kernels"].items():
        for name, p in k["plans"].items():
            print(f"{kernels:8s} {name:6s} {p['instructions_per_image']:>11,} instructions/image  "
                  f"{p['macs_per_image']:>9,} MACs  {p['instructions_per_mac']:5.2f} instr/MAC  "
                  f"scratch {p['scratch_bytes']:,} B")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
