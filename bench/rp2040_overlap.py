"""RP2040 display overlap: the die window sent by DMA to I2C0 while the next image is computed.

    .venv/bin/python bench/rp2040_overlap.py [--blob models/default.blob] [--angles -127,-64,0,64,127]
        [--out bench/results/rp2040.json] [--doc docs/rp2040.md]
    make -C bench/rp2040 -f overlap.mk overlap-run      (one raw run)

bench/rp2040/overlap.c does in C what device/pdi2c_dma.py does on the Pico: I2C0 set up as
MicroPython's machine.I2C(0, freq=400000) leaves it, the 64x64 die window packed into 16-bit
IC_DATA_CMD words (STOP on each transaction's last) and sent by a DMA channel paced by
DREQ_I2C0_TX while the next image is computed (full plan, one core). overlap.mjs runs it in
rp2040js with what rp2040js does not model of I2C added from the RP2040 datasheet (bus time
from the SCL counts, the TX DREQ: see its header). Checked: every image (computed alone and
again with the DMA running) equals reference.run; the bus carries, frame after frame, exactly
the window the app sends (pdview.render_die of the reference image into the page buffer,
ssd1306's Window(32, 0, 64, 64) to 0x3C: 7 command bytes, then 0x40 and 512 data bytes, 522
bytes with the two address bytes), each transfer inside the computation of the next image.
Writes the "overlap_dma" section of bench/results/rp2040.json (rp2040_bench.py writes the
others and keeps this one) and the tables between this script's markers in docs/rp2040.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "host"))
sys.path.insert(0, str(REPO / "device"))
sys.path.insert(0, str(REPO / "bench"))  # benchlib, also when loaded by path

import benchlib  # noqa: E402
import pdview  # noqa: E402
from pipdream import files, reference  # noqa: E402
from pipdream.blob import load  # noqa: E402

BENCH_DIR = REPO / "bench" / "rp2040"
MHZ = 125
I2C_HZ = 400_000
TARGET_MS = 20.0
OLED = 0x3C
WIDTH, PAGES = 128, 8
DOC_BEGIN, DOC_END = "<!-- rp2040_overlap.py: begin -->", "<!-- rp2040_overlap.py: end -->"
# RP2040 datasheet 2.1: 4 bus masters (core 0, core 1, DMA read, DMA write), one arbiter per SRAM
# bank; a master that loses an arbitration waits a cycle. Per frame the DMA reads each of its
# halfwords from SRAM once and writes it to the APB bridge (which the computing cores never use).
CONTENTION = ("each DMA read of a command word (one per bus byte) can cost a computing core at most one "
              "cycle, when both reach the same SRAM bank in the same cycle and the DMA wins; its writes go "
              "to the APB bridge, which the inference never touches")


def build(blob: Path, build_dir: Path | None = None) -> Path:
    """make the overlap image for `blob` (and install rp2040js); returns it."""
    build_dir = Path(build_dir or BENCH_DIR / "build")
    cmd = ["make", "-C", str(BENCH_DIR), "-f", "overlap.mk", "--no-print-directory", "-s", "overlap",
           f"BLOB={blob.resolve()}", f"BUILD={build_dir.resolve()}", f"PY={sys.executable}"]
    with files.locked(BENCH_DIR / "build"):  # node_modules and the shared objects: one make at a time
        res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{res.stdout[-2000:]}{res.stderr[-4000:]}")
    return build_dir / "tuned" / "overlap.bin"


def run_image(image: Path, pairs: list[tuple[int, int]]) -> dict:
    """overlap.mjs's JSON for these (face, angle code) pairs."""
    arg = ",".join(f"{f}:{a}" for f, a in pairs)
    cmd = ["node", str(BENCH_DIR / "overlap.mjs"), "--image", str(image), "--pairs", arg]
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=BENCH_DIR)
    if res.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{res.stderr[-4000:]}")
    out = json.loads(res.stdout)
    if out["model"]["status"] != 0 or out["done"]["status"] != 0:
        raise RuntimeError(f"{image}: the image reported model {out['model']}, done {out['done']}")
    return out


def window_bytes(img: np.ndarray) -> list[bytes]:
    """The two I2C transactions (without the address byte) the app sends for one die image."""
    buf = bytearray(WIDTH * PAGES)
    slot = pdview.layout(WIDTH, 8 * PAGES, 1, 0, True)[0]
    pdview.render_die(bytes(img), buf, (slot.y >> 3) * WIDTH + slot.x, WIDTH, slot.scale)
    x0, x1 = slot.x, slot.x + slot.size
    cmd = bytes([0x00, 0x21, x0, x1 - 1, 0x22, slot.y >> 3, (slot.y + slot.size) // 8 - 1])
    data = b"\x40" + b"".join(bytes(buf[p * WIDTH + x0:p * WIDTH + x1]) for p in range(PAGES))
    return [cmd, data]


def check(out: dict, blob: bytes) -> list[str]:
    """Everything that is not as it must be: images, bus bytes, transfers outside the computation."""
    pairs = out["pairs"]
    model = load(blob)
    want = reference.run(model, np.array([f for f, _ in pairs]), np.array([a for _, a in pairs]))
    want = want.reshape(len(pairs), -1)
    bad = []
    for r in out["runs"]:
        got = np.frombuffer(bytes.fromhex(r["image"]), np.uint8)
        if r["status"] != 0 or not np.array_equal(got, want[r["pair"]]):
            bad.append(f"{r['plan']} run of pair {r['pair']}: status {r['status']}, image differs")
    frames = [window_bytes(w) for w in want] + [window_bytes(want[-1])]  # the last again, by the CPU
    expect = [(OLED, t) for f in frames for t in f]
    got = [(b["addr"], bytes.fromhex(b["data"])) for b in out["bus"]]
    if not all(b["ack"] for b in out["bus"]) or got != expect:
        bad.append(f"the bus carried {len(got)} transactions, not the {len(expect)} of the app's windows")
    micro = {(m["name"], m["index"]): m for m in out["micro"]}
    runs = {(r["plan"], r["pair"]): r for r in out["runs"]}
    for i in range(len(pairs) - 1):
        start = micro[("dma setup", i)]["end"]
        end = runs[("with dma", i + 1)]["end"]
        txns = out["bus"][2 * i:2 * i + 2]
        if not (start <= txns[0]["start"] and txns[1]["end"] <= end):
            bad.append(f"window {i} was not sent during the computation of image {i + 1}")
    if out["info"]["aborts"] or out["info"]["blocking status"]:
        bad.append(f"I2C aborts: {out['info']}")
    return bad


def ms(cycles: float) -> float:
    return round(cycles / (MHZ * 1e3), 3)


def summarize(out: dict, rp2040: dict) -> dict:
    pairs = out["pairs"]
    runs = {(r["plan"], r["pair"]): r["cycles"] for r in out["runs"]}
    micro: dict[str, list[int]] = {}
    for m in out["micro"]:
        micro.setdefault(m["name"], []).append(m["cycles"])
    setup = {(m["index"]): m for m in out["micro"] if m["name"] == "dma setup"}
    bus = out["bus"]
    # a transfer: from the end of its channel's setup to its last STOP
    transfers = [bus[2 * i + 1]["end"] - setup[i]["end"] for i in range(len(pairs) - 1)]
    bus_bytes = sum(1 + len(b["data"]) // 2 for b in bus[:2])
    alone = [runs[("alone", i)] for i in range(1, len(pairs))]
    with_dma = [runs[("with dma", i)] for i in range(1, len(pairs))]
    tuned = next(i for i in rp2040["impls"] if i["impl"] == "tuned")
    two = tuned["two_cores"]["cycles_per_image"]["max"]
    one = tuned["plans"]["full"]["cycles_per_image"]["max"]
    pack, dma_setup, wait = max(micro["pack"]), max(micro["dma setup"]), max(micro["wait"])
    transfer = max(transfers)
    t = out["i2c"]
    cpu_two = two + pack + dma_setup + wait
    cpu_one = one + pack + dma_setup + wait
    nominal = bus_bytes * 9 / I2C_HZ * 1000
    bound = bus_bytes - len(bus[:2])  # command words read by the DMA per frame
    return {
        "what": "the roll frame on a Pico at 125 MHz with the die window sent by DMA (device/pdi2c_dma.py) "
                "while the next image is computed; bare-metal image bench/rp2040/overlap.c in rp2040js "
                "(overlap.mjs adds I2C bus time and DREQ_I2C0_TX from the RP2040 datasheet)",
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
        "pairs": pairs,
        "all_images_match_reference": True,
        "bus_matches_the_apps_window": True,
        "frames_on_the_bus": len(pairs) + 1,
        "bus_bytes_per_frame": bus_bytes,
        "i2c": {**t, "scl_hz": round(MHZ * 1e6 / t["period_cycles"]), "hz_asked": I2C_HZ,
                "note": "pico-sdk's counts for 400 kHz at 125 MHz; SCL high = HCNT + SPKLEN + 7, "
                        "low = LCNT + 1 cycles (DW_apb_i2c, RP2040 datasheet); rise and fall times left out"},
        "transfer_cycles": {"max": transfer, "min": min(transfers)},
        "transfer_ms": ms(transfer),
        "transfer_ms_nominal_400khz": round(nominal, 3),
        "blocking_send_cycles": max(micro["blocking send"]),
        "blocking_send_ms": ms(max(micro["blocking send"])),
        "compute_alone_cycles": alone,
        "compute_with_dma_cycles": with_dma,
        "compute_difference_cycles_max": max(abs(a - b) for a, b in zip(alone, with_dma)),
        "compute_difference_note": "rp2040js charges a DMA transfer no bus cycle, so the two agree by "
                                   "construction (the difference is the call sites' register moves)",
        "cpu_cycles_per_frame": {"pack_words_c": pack, "dma_setup": dma_setup, "wait_when_done": wait,
                                 "render_c": max(micro["render"])},
        "two_cores": {
            "compute_cycles": two,
            "cpu_cycles": cpu_two,
            "frame_cycles": max(cpu_two, transfer),
            "frame_ms": ms(max(cpu_two, transfer)),
            "parts_ms": {"compute": ms(two), "pack": ms(pack), "dma_setup": ms(dma_setup), "wait": ms(wait),
                         "transfer_overlapped": ms(transfer)},
            "source": "compute: this file's impls[tuned].two_cores (rp2040_bench.py, worst of its images)",
        },
        "one_core": {"compute_cycles": one, "frame_cycles": max(cpu_one, transfer),
                     "frame_ms": ms(max(cpu_one, transfer))},
        "target_ms": TARGET_MS,
        "dma_contention_bound": {"cycles_per_frame": bound, "ms": ms(bound), "why": CONTENTION},
        "not_modelled": [
            "the two cores' own SRAM contention (two_cores.not_modelled; docs/rp2040.md bounds it)",
            "the DMA's contention with the cores: at most dma_contention_bound.cycles_per_frame",
            "the device packs the words with a viper loop and starts the channel from MicroPython "
            "(rp2.DMA.config, machine.mem32): only the same work in C is measured here",
            "the app's Python per frame: pdview.View.draw (the render, here in C: render_c), the roll loop",
            "SCL rise and fall times on the board, clock stretching by the display",
        ],
    }


def markdown(s: dict) -> str:
    two, one, c = s["two_cores"], s["one_core"], s["cpu_cycles_per_frame"]
    t = s["i2c"]
    rows = [
        ("inference, both cores (rp2040_bench.py)", two["compute_cycles"]),
        ("pack the 520 command words (C)", c["pack_words_c"]),
        ("check IC_TAR, program and trigger the channel", c["dma_setup"]),
        ("wait for the previous window (already done)", c["wait_when_done"]),
    ]
    lines = [
        f"Measured by `bench/rp2040_overlap.py` ({s['date']}, {len(s['pairs'])} images, every one equal "
        f"to `reference.run` computed alone and with the DMA running; the bus carried the app's window for "
        f"each, {s['bus_bytes_per_frame']} bytes, each transfer inside the next image's computation).", "",
        "| per frame, on the CPU | cycles | ms @ 125 MHz |", "| --- | ---: | ---: |",
    ]
    lines += [f"| {name} | {v:,} | {ms(v)} |" for name, v in rows]
    lines += [
        f"| **CPU per frame** | **{two['cpu_cycles']:,}** | **{ms(two['cpu_cycles'])}** |",
        f"| the window on the bus by DMA, meanwhile (SCL {t['scl_hz'] / 1000:.1f} kHz) | "
        f"{s['transfer_cycles']['max']:,} | {s['transfer_ms']} |",
        f"| **frame = max(CPU, bus)** | **{two['frame_cycles']:,}** | **{two['frame_ms']}** |",
        "",
        f"One core: a frame of {one['frame_ms']} ms. The same window sent by the CPU as pico-sdk's "
        f"`i2c_write_blocking` does holds it {s['blocking_send_ms']} ms "
        f"({s['transfer_ms_nominal_400khz']} ms at a nominal 400 kHz, 9 clocks a byte). "
        f"Inference with the DMA running and alone: within {s['compute_difference_cycles_max']} cycles "
        f"(rp2040js charges the DMA no bus cycle). Drawing the window in C would take "
        f"{c['render_c']:,} cycles ({ms(c['render_c'])} ms); the app draws it in Python.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--blob", type=Path, default=REPO / "models" / "default.blob")
    ap.add_argument("--angles", default="-127,-64,0,64,127", help="angle codes, each with every face")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "rp2040.json",
                    help="rp2040_bench.py's results: its impls[tuned] give the inference; this script "
                         "writes its overlap_dma section")
    ap.add_argument("--doc", default=str(REPO / "docs" / "rp2040.md"), help="'' for none")
    args = ap.parse_args(argv)

    blob = args.blob.read_bytes()
    angles = [int(a) for a in args.angles.split(",")]
    pairs = [(f, a) for f in range(1, load(blob).n_faces + 1) for a in angles]
    out = run_image(build(args.blob), pairs)
    bad = check(out, blob)
    if bad:
        print("overlap run failed its checks:\n  " + "\n  ".join(bad), file=sys.stderr)
        return 1
    results = json.loads(args.out.read_text())
    name = benchlib.repo_name(args.blob)
    if results.get("blob") != name:
        print(f"{args.out} has the inference of {results.get('blob')}, not {name}: run rp2040_bench.py "
              "with this blob first", file=sys.stderr)
        return 1
    section = summarize(out, results)
    results["overlap_dma"] = section
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    two = section["two_cores"]
    print(f"frame {two['frame_ms']} ms (CPU {ms(two['cpu_cycles'])} ms, bus {section['transfer_ms']} ms "
          f"overlapped); wrote {args.out}")
    benchlib.write_doc_block(args.doc, DOC_BEGIN, DOC_END, markdown(section))
    return 0


if __name__ == "__main__":
    sys.exit(main())
