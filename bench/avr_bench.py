"""ATmega328p benchmark: cycles per image and per MAC, flash, SRAM and I2C time per frame.

    .venv/bin/python bench/avr_bench.py [--rolls 3] [--tumble-rolls 10] [--out bench/results/avr.json]

Everything is measured in simavr (cycle-accurate AVR core, 16 MHz) on the real
firmware built from boards/atmega328p/ with the shipped model:
- cycles per image from the firmware's Timer1 (no prescaler, overflow count) and,
  independently, from simavr's cycle counter between the busy LED's edges;
- the worst case over every face at 37 angle codes (the test-hook build): the
  zero-skipping core makes the time depend a little on the image;
- cycles per MAC overall (per image / the plan's MACs), of the MAC cores with their
  set-up and outputs (profile), and of the inner loops alone (boards/atmega328p/bench/mac_bench.c:
  the cycle difference of n = 8 and n = 200 byte segments);
- where the cycles go (a PC histogram of the inference, grouped by function);
- flash (.text + .data) and SRAM (.data + .bss + the painted stack high-water mark);
- the I2C traffic of one frame and its time on a 400 kHz bus;
- the tumble (models/fast.blob frames before the rolled face): cycles per frame (worst
  and mean over the button rolls), frames per roll, the whole roll's time, and the
  flash the tumble costs (the TUMBLE=0 build beside the shipped one).
The three builds IMPL=asm (shipped), dot and c are timed on the same rolls. The
profile is taken on the TUMBLE=0 build (the busy LED is on for the tumble's frames
too), whose rolled images are the same computation.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "host"))

from pipdream import avr  # noqa: E402
from pipdream.blob import load  # noqa: E402
from pipdream.blob.format import KIND_FC  # noqa: E402
from pipdream.plan import STREAM, plan  # noqa: E402

F_CPU = avr.F_CPU
TARGET_CYCLES = 12_800_000  # 0.8 s at 16 MHz
TARGET_MAC_CYCLES = 10
FLASH_USABLE = 32 * 1024 - 512  # an Uno keeps Optiboot in the last 512 bytes
SRAM = 2048
I2C_HZ = 400_000

# function -> group, for the profile breakdown
GROUPS = {
    "mac_asm": ("avr_sparse", "avr_group", "avr_accum", "avr_dot"),
    "requantize": ("avr_requant",),
    "kernel_glue_c": ("group", "conv_like", "hull", "run", "pd_conv_avr", "pd_convt_avr", "pd_conv_acc_avr",
                      "pd_convt_acc_avr", "columns", "segments", "one_pixel", "slot"),
    "executor_shared": ("pd_", "produce", "acc_open", "acc_close", "strip_", "stream_", "read_entry",
                        "needs_up_to", "input_window", "set_window", "encode", "check_"),
    "display_twi": ("oled_", "twi_", "send_segment", "double_bits", "on_row", "cycles_now"),
    "libgcc": ("__",),
}


def group_of(name: str) -> str:
    for g, prefixes in GROUPS.items():
        if any(name == p or name.startswith(p) for p in prefixes):
            return g
    return "other"


def per_function(elf: Path, hist: Path) -> dict[str, int]:
    import bisect

    out = subprocess.run(["avr-nm", "-n", str(elf)], check=True, capture_output=True, text=True).stdout
    syms = [(int(p[0], 16), p[2]) for p in (line.split() for line in out.splitlines())
            if len(p) == 3 and p[1] in "tTW"]
    addrs = [a for a, _ in syms]
    per: dict[str, int] = {}
    for line in hist.read_text().splitlines():
        if line.startswith("#"):
            continue
        pc, cycles = line.split()
        i = bisect.bisect_right(addrs, int(pc, 16)) - 1
        name = syms[i][1] if i >= 0 else "?"
        per[name] = per.get(name, 0) + int(cycles)
    return per


def frame_i2c(run, roll) -> dict:
    """The I2C transactions of one roll (from its busy-LED edge to its report line)."""
    txs = [t for t in run.transactions if roll.led_on <= t.cycle <= roll.done and t.acked]
    payload = sum(len(t.data) for t in txs)
    # on the wire: START, address byte, payload, STOP; 9 clocks per byte (8 bits + ACK)
    wire_bits = sum(9 * (1 + len(t.data)) + 2 for t in txs)
    return {"transactions": len(txs), "payload_bytes": payload, "bus_bits": wire_bits,
            "ms_at_400khz": round(1000 * wire_bits / I2C_HZ, 2),
            "firmware_twi_cycles": roll.i2c,
            "note": "firmware_twi_cycles is the CPU time in the TWI driver as simavr 1.6 models it "
                    "(1 us per SCL period, faster than a real 400 kHz bus); ms_at_400khz counts "
                    "the bits a real bus carries"}


def mac_bench(build: Path) -> dict:
    subprocess.run(["make", "-s", "-C", str(avr.BOARD), "bench-elf", f"BUILD={build}"], check=True)
    run = avr.run_sim(build / "mac_bench.elf", build / "mac-bench-run", rolls=0)
    rows: dict[str, dict[int, tuple[int, int]]] = {}
    for line in run.uart.splitlines():
        if line.startswith("mac "):
            _, name, pixels, n, cycles = line.split()
            rows.setdefault(name, {})[int(n)] = (int(pixels), int(cycles))
    out = {}
    for name, by_n in rows.items():
        (px, c8), (_, c200) = by_n[8], by_n[200]
        out[name] = {"pixels": px, "cycles_n8": c8, "cycles_n200": c200,
                     "cycles_per_mac": round((c200 - c8) / (192 * px), 2)}
    return out


def sweep(step: int, tmp: Path, blob: Path | None = None, display: bool = True) -> dict:
    """Every face at angle codes -127, -127 + step, ... (forced through the test hook, one
    simulator run per face: the harness takes up to 256 forced rolls); blob: the model
    built in (default: the shipped one); display=False: no panel on the bus (the timed
    images then take about 1.5% fewer cycles)."""
    elf = avr.build_firmware(hook=True, blob=blob)
    rolls = []
    for face in range(1, 7):
        forced = [(face, a) for a in range(-127, 128, step)]
        run = avr.run_sim(elf, tmp / f"sweep-{face}", forced=forced, display=display)
        if len(run.rolls) != len(forced):
            raise RuntimeError(f"sweep: {len(run.rolls)} of {len(forced)} rolls ({run.end_reason})")
        rolls += run.rolls
    worst = max(rolls, key=lambda r: r.cycles)
    cycles = [r.cycles for r in rolls]
    return {"images": len(cycles), "faces": 6, "angle_codes": f"-127..127 step {step}",
            "max": worst.cycles, "max_at": {"face": worst.face, "angle_code": worst.angle},
            "min": min(cycles), "mean": round(sum(cycles) / len(cycles))}


def time_build(impl: str, rolls: int, tmp: Path, tumble: bool = True):
    elf = avr.build_firmware(impl=impl, tumble=tumble)
    run = avr.run_sim(elf, tmp / f"run-{impl}{'' if tumble else '-notumble'}", rolls=rolls)
    if len(run.rolls) != rolls:
        raise RuntimeError(f"{impl}: {len(run.rolls)} of {rolls} rolls ({run.end_reason})")
    return elf, run


def profile(elf: Path, rolls: int, tmp: Path, hist: Path) -> None:
    """A PC histogram of the cycles while the busy LED is on, over `rolls` button rolls."""
    cmd = [str(avr.build_harness()), "--elf", str(elf), "--out", str(tmp / "prof"), "--rolls",
           str(rolls), "--profile", str(hist)]
    subprocess.run(cmd, check=True, capture_output=True)


def tumble_figures(run, elf: Path, elf_without: Path, macs: int) -> dict:
    """The tumble's frames over the button rolls of the shipped build."""
    frames = [f for r in run.rolls for f in r.frames]
    cycles = [f.cycles for f in frames]
    # the whole roll: the first frame's busy LED edge to the report line (simavr's clock);
    # a real 400 kHz bus adds the wire time of every frame's I2C bytes beyond simavr's
    whole = [r.done - r.frames[0].led_on for r in run.rolls]
    wire = []
    for r in run.rolls:
        txs = [t for t in run.transactions if r.frames[0].led_on <= t.cycle <= r.done and t.acked]
        bits = sum(9 * (1 + len(t.data)) + 2 for t in txs)
        wire.append(bits / I2C_HZ * F_CPU)  # cycles on a real bus
    with_t, without = avr.section_sizes(elf), avr.section_sizes(elf_without)
    fast_macs = int(run.info["fast_macs"])
    worst = max(cycles)
    return {
        "model": "models/fast.blob", "frames_per_roll": int(run.info["frames"]),
        "rolls": len(run.rolls), "frames_measured": len(frames),
        "macs_per_frame": fast_macs, "scratch_bytes": int(run.info["fast_scratch"]),
        "cycles_per_frame": {"max": worst, "mean": round(sum(cycles) / len(cycles)), "min": min(cycles),
                             "ms_max_at_16mhz": round(1000 * worst / F_CPU, 1),
                             "ms_mean_at_16mhz": round(1000 * sum(cycles) / len(cycles) / F_CPU, 1),
                             "cycles_per_mac": round(worst / fast_macs, 2)},
        "whole_roll_simavr_cycles": {"max": max(whole), "mean": round(sum(whole) / len(whole))},
        "whole_roll_seconds_at_16mhz": round(max(whole) / F_CPU, 3),
        "i2c_wire_ms_per_roll_at_400khz": round(1000 * max(wire) / F_CPU, 1),
        "whole_roll_note": "first tumble frame's busy-LED edge to the roll's report line, simavr cycles "
                           "(tumble frames, their UART lines, the rolled image); simavr moves an I2C byte "
                           "faster than a real bus, whose wire time for the roll's bytes is given beside it",
        "flash_tumble_costs": (with_t["text"] + with_t["data"]) - (without["text"] + without["data"]),
        "flash_without_tumble": without["text"] + without["data"],
        "rolled_image_share": round(sum(r.cycles for r in run.rolls) / sum(whole), 3),
        "default_model_macs": macs,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rolls", type=int, default=3)
    p.add_argument("--tumble-rolls", type=int, default=10)
    p.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "avr.json")
    args = p.parse_args()
    tmp = avr.BOARD / "build" / "bench"
    tmp.mkdir(parents=True, exist_ok=True)
    blob = avr.default_blob()

    hist = tmp / "profile.txt"
    elf, run = time_build("asm", args.rolls, tmp)
    elf_without, _ = time_build("asm", args.rolls, tmp, tumble=False)
    profile(elf_without, args.rolls, tmp, hist)
    macs = int(run.info["macs"])
    _, trun = time_build("asm", args.tumble_rolls, tmp / "tumble")
    tumble = tumble_figures(trun, elf, elf_without, macs)
    cycles = [r.cycles for r in run.rolls]
    sim_cycles = [r.sim_cycles for r in run.rolls]
    swept = sweep(1, tmp)  # every input the model can get: 6 faces x 255 angle codes
    per_image = max(max(cycles), swept["max"])
    per = per_function(elf_without, hist)
    total = sum(per.values())
    grouped: dict[str, int] = {}
    for name, c in per.items():
        grouped[group_of(name)] = grouped.get(group_of(name), 0) + c
    top = sorted(per.items(), key=lambda kv: -kv[1])[:15]

    sizes = avr.section_sizes(elf)
    static = sizes["data"] + sizes["bss"]
    stack = max(r.stack for r in run.rolls)

    impls = {}
    for impl in ("dot", "c"):
        _, r2 = time_build(impl, 1, tmp)
        impls[impl] = {"cycles_per_image": r2.rolls[0].cycles,
                       "ms_at_16mhz": round(1000 * r2.rolls[0].cycles / F_CPU, 1),
                       "cycles_per_mac": round(r2.rolls[0].cycles / macs, 2)}
    impls["asm"] = {"cycles_per_image": per_image, "ms_at_16mhz": round(1000 * per_image / F_CPU, 1),
                    "cycles_per_mac": round(per_image / macs, 2)}

    inner = mac_bench(avr.BOARD / "build" / "bench")
    # the MAC cores with their set-up, skipping and outputs, per MAC of the conv layers
    model = load(blob.read_bytes())
    conv_macs = sum(pl.macs for pl, layer in zip(plan(model, STREAM).layers, model.layers)
                    if layer.kind != KIND_FC)
    cores = round(grouped.get("mac_asm", 0) / args.rolls / conv_macs, 2)
    result = {
        "what": "pipdream on an ATmega328p at 16 MHz, measured in simavr (cycle-accurate core)",
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
        "host": platform.platform(),
        "model": {"blob": str(blob.relative_to(REPO)) if blob.is_relative_to(REPO) else str(blob),
                  "macs_per_image_streaming_plan": macs, "strips": int(run.info["strips"]),
                  "scratch_bytes": int(run.info["scratch"])},
        "cycles_per_image": {
            "timer1": cycles, "simavr_led_edges": sim_cycles,
            "timer1_minus_simavr": [a - b for a, b in zip(cycles, sim_cycles)],
            "worst_case_sweep": swept,
            "max": per_image, "seconds_at_16mhz": round(per_image / F_CPU, 3),
            "target": TARGET_CYCLES, "meets_target": per_image <= TARGET_CYCLES,
        },
        "cycles_per_mac": {
            "overall": round(per_image / macs, 2),
            "inner_loop": {k: v["cycles_per_mac"] for k, v in inner.items()},
            "mac_cores_per_conv_mac": cores,
            "mac_cores_note": "cycles in avr_sparse/avr_accum*/avr_group1 (MACs, zero skipping, segment "
                              "walking, output stores) per MAC of the conv layers, from the profile",
            "inner_loop_target": TARGET_MAC_CYCLES,
            "inner_loop_meets_target": cores <= TARGET_MAC_CYCLES,
            "inner_loop_detail": inner,
        },
        "where_the_cycles_go": {
            "per_image_by_group": {g: round(c / args.rolls)
                                   for g, c in sorted(grouped.items(), key=lambda kv: -kv[1])},
            "top_functions_per_image": {n: round(c / args.rolls) for n, c in top},
            "profiled_cycles_per_image": round(total / args.rolls),
        },
        "implementations": impls,
        "flash": {"text": sizes["text"], "data": sizes["data"], "total": sizes["text"] + sizes["data"],
                  "model_blob": blob.stat().st_size, "usable_with_optiboot": FLASH_USABLE,
                  "fits": sizes["text"] + sizes["data"] <= FLASH_USABLE},
        "sram": {"data": sizes["data"], "bss": sizes["bss"], "stack_high_water": stack,
                 "simavr_deepest_stack": run.info.get("sim_stack_max"), "total": static + stack,
                 "spare": SRAM - static - stack, "limit": SRAM},
        "i2c_per_frame": frame_i2c(run, run.rolls[-1]),
        "tumble": tumble,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    c = result["cycles_per_image"]
    print(f"cycles per image: {c['max']:,} ({c['seconds_at_16mhz']} s at 16 MHz; target {TARGET_CYCLES:,}: "
          f"{'met' if c['meets_target'] else 'NOT met'}); "
          f"{result['cycles_per_mac']['overall']} cycles/MAC overall")
    print(f"inner loop: {result['cycles_per_mac']['inner_loop']}")
    print(f"implementations: { {k: v['cycles_per_image'] for k, v in impls.items()} }")
    print(f"flash {result['flash']['total']} B, SRAM {result['sram']['total']} B "
          f"(spare {result['sram']['spare']}), "
          f"I2C {result['i2c_per_frame']['ms_at_400khz']} ms/frame at 400 kHz")
    t = result["tumble"]
    cf = t["cycles_per_frame"]
    print(f"tumble: {t['frames_per_roll']} frames/roll, {cf['max']:,} cycles/frame worst "
          f"({cf['ms_max_at_16mhz']} ms), mean {cf['ms_mean_at_16mhz']} ms; whole roll "
          f"{t['whole_roll_seconds_at_16mhz']} s; flash for the tumble {t['flash_tumble_costs']} B")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
