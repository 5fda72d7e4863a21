"""The ATmega328p port from the host: build the firmware and the simavr harness,
run rolls in the simulator, and turn the recorded I2C stream into what the OLED shows.

    elf = build_firmware(hook=True)                  # make -C boards/atmega328p hook
    run = run_sim(elf, out_dir, forced=[(3, -42)])   # boards/atmega328p/sim/pd_sim.c
    panels = replay(run)                             # the project's SSD1306 emulator
    panels[0] == expected_panel(image, face=3)       # device/pdview.py's drawing
    replay_frames(run)[0]                            # the tumble's frames of roll 1

The harness writes uart.log, i2c.txt and events.txt (format in pd_sim.c); this
module parses them. `pipdream avr-sim` is the command-line front end.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import re
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pipdream import paths
from pipdream.blob import format as F
from pipdream.blob.model import QModel
from pipdream.blob.synthetic import default_shape_blob

BOARD = paths.AVR_BOARD  # the firmware's sources (read only: builds go to build_root())
DEVICE = paths.DEVICE
F_CPU = 16_000_000
DISPLAY_ADDR = 0x3C
FAST_BLOB = paths.MODELS / "fast.blob"  # the tumble's model (boards/atmega328p/Makefile FAST_BLOB)


# ---- building -------------------------------------------------------------------------


IMPLS = ("asm", "dot", "c")


def _make(target: str, build_dir: Path, blob: Path | None = None, impl: str = "asm",
          tumble: bool = True) -> None:
    cmd = ["make", "-s", "-C", str(BOARD), target, f"BUILD={Path(build_dir).resolve()}",
           f"IMPL={impl}", f"TUMBLE={int(tumble)}", f"PY={sys.executable}"]
    if blob is not None:
        cmd.append(f"BLOB={Path(blob).resolve()}")
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}")


def build_root() -> Path:
    """Where the firmware and the harness are built: the cache, not the (maybe installed) sources."""
    return paths.cache_dir() / "avr"


def default_build_dir(hook: bool = False, impl: str = "asm", blob: Path | None = None,
                      tumble: bool = True) -> Path:
    """One folder per variant (and per blob other than the default), so switching never rebuilds."""
    name = f"{'hook' if hook else 'normal'}-{impl}" + ("" if tumble else "-notumble")
    if blob is not None and Path(blob).resolve() != default_blob().resolve():
        name += "-" + hashlib.sha1(str(Path(blob).resolve()).encode()).hexdigest()[:8]
    return build_root() / name


def build_firmware(hook: bool = False, blob: Path | None = None, impl: str = "asm",
                   build_dir: Path | None = None, tumble: bool = True) -> Path:
    """Build the firmware (make decides what is stale); returns the ELF path.

    hook: the test build whose UART commands force a roll ("G face angle").
    blob: the model (default: models/default.blob, else a synthetic default-architecture blob).
    impl: "asm" (AVR kernels, shipped), "dot" (shared C kernels + asm dot product) or
    "c" (shared C kernels as written: the reference).
    tumble: the roll animation drawn with models/fast.blob (TUMBLE=1, shipped) or none.
    """
    if impl not in IMPLS:
        raise ValueError(f"impl must be one of {', '.join(IMPLS)}, got {impl!r}")
    build_dir = Path(build_dir or default_build_dir(hook, impl, blob, tumble))
    _make("hook" if hook else "elf", build_dir, blob, impl, tumble)
    return build_dir / ("pipdream-hook.elf" if hook else "pipdream.elf")


def build_harness(build_dir: Path | None = None) -> Path:
    build_dir = Path(build_dir or build_root())
    _make("harness", build_dir)
    return build_dir / "pd_sim"


# ---- running ----------------------------------------------------------------------------


@dataclass
class Frame:
    """One image as the firmware reported it (plus the simulator's view of it): a tumble
    frame (drawn by the fast model), or, as a Roll, the rolled image."""

    n: int  # 1.. (frames: within their roll)
    face: int
    angle: int
    cycles: int  # the firmware's Timer1 count around the inference (the "px" lines left out)
    status: int = 0  # a kernel status code reported before the line (0: ok)
    led_on: int = 0  # simulator cycle of the busy LED's first rising edge
    led_off: int = 0  # ... and of its last falling edge
    dump_cycles: int = 0  # simulator cycles the LED was dark in between: the "px" lines
    done: int = 0  # simulator cycle of the report line
    image: np.ndarray | None = None  # (32, 32) uint8 from "px" lines ("D"/"T" commands), else None

    @property
    def sim_cycles(self) -> int:
        """Cycles the busy LED was on, counted by simavr itself. A test build printing
        the image's rows darkens the LED while it prints and leaves that time out of
        its Timer1 count, so both counts are the inference's own, as in the shipped build."""
        return self.led_off - self.led_on - self.dump_cycles


@dataclass(kw_only=True)
class Roll(Frame):
    """One roll: its image, what the report line adds, and the tumble before it."""

    i2c: int  # CPU cycles spent in the TWI driver during this roll
    stack: int  # stack high-water mark since reset, bytes
    ram: int  # .data + .bss + stack high-water mark, bytes
    display: str  # "3c", "3d" or "none"
    stack_overflow: bool = False  # the firmware saw its stack reach .bss
    frames: list[Frame] = field(default_factory=list)  # the tumble before the image


@dataclass
class Transaction:
    cycle: int
    addr: int  # 7-bit
    acked: bool
    data: bytes


@dataclass
class SimRun:
    out_dir: Path
    returncode: int
    uart: str
    rolls: list[Roll]
    transactions: list[Transaction]
    events: list[tuple[str, int, str]]
    end_cycle: int
    end_reason: str
    info: dict = field(default_factory=dict)  # key=value pairs of the boot lines

    @property
    def seed(self) -> int:
        return int(self.info["wdt"])


_KV = re.compile(r"(\w+)=(\S+)")


def parse_uart(text: str) -> tuple[dict, list[Roll]]:
    """Boot key=values and the roll reports of a UART log (with the images of "px" lines)."""
    info: dict = {}
    rolls: list[Roll] = []
    frames: list[Frame] = []
    status = 0
    image = None
    for line in text.splitlines():
        if line.startswith("faces "):
            if line != "faces end":
                info.setdefault("faces", []).extend(int(c) for c in line.split()[1])
            continue
        if line.startswith("px "):
            _, row, col0, hexbytes = line.split()
            if image is None:
                image = np.zeros((F.OUT_H, F.OUT_W), np.uint8)
            px = np.frombuffer(bytes.fromhex(hexbytes), np.uint8)
            image[int(row), int(col0):int(col0) + px.size] = px
            continue
        kv = dict(_KV.findall(line))
        if line.startswith("frame "):
            frames.append(Frame(int(line.split()[1]), int(kv["face"]), int(kv["angle"]),
                                int(kv["cycles"]), status, image=image))
            status = 0
            image = None
        elif line.startswith("roll "):
            rolls.append(Roll(int(line.split()[1]), int(kv["face"]), int(kv["angle"]),
                              int(kv["cycles"]), status, image=image, i2c=int(kv["i2c"]),
                              stack=int(kv["stack"].rstrip("!")), ram=int(kv["ram"]),
                              display=kv["display"], stack_overflow=kv["stack"].endswith("!"),
                              frames=frames))
            status = 0
            image = None
            frames = []
        elif line.startswith("error "):
            status = int(kv["status"])
            info.setdefault("errors", []).append(status)
        else:
            info.update(kv)
    return info, rolls


def run_sim(elf: Path, out_dir: Path, rolls: int | None = None, forced: Sequence[tuple[int, int]] = (),
            display: bool = True, display_addr: int = DISPLAY_ADDR, wdt_seed: int = 1,
            bounce_seed: int = 1, hold_ms: float = 80, gap_ms: float = 30, dump: bool = False,
            tumble: bool = False, faces: int = 0, send: str | None = None,
            max_seconds: float | None = None, harness: Path | None = None) -> SimRun:
    """Run the firmware in simavr through pd_sim and parse what it recorded.

    forced: (face, angle code) pairs sent as UART commands (hook builds only);
    dump: the firmware also prints each image's rows (Roll.image);
    tumble: forced rolls show the tumble first (rows printed too: Roll.frames[i].image);
    faces: after the forced rolls, ask for this many faces from the RNG (hook builds; info["faces"]);
    send: one raw UART line sent right after boot;
    rolls defaults to len(forced) or 1 (0: boot only). A run that times out or
    crashes still returns (check returncode and end_reason).
    """
    harness = harness or build_harness()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    n = rolls if rolls is not None else (len(forced) or 1)
    if faces:
        n = len(forced) + 1
    if max_seconds is None:
        max_seconds = 2.0 + 5.0 * n
    cmd = [str(harness), "--elf", str(elf), "--out", str(out_dir), "--rolls", str(n),
           "--display-addr", hex(display_addr), "--wdt-seed", str(wdt_seed),
           "--bounce-seed", str(bounce_seed), "--hold-ms", str(hold_ms), "--gap-ms", str(gap_ms),
           "--max-seconds", str(max_seconds)]
    for face, angle in forced:
        cmd += ["--force", f"{int(face)},{int(angle)}"]
    if not display:
        cmd.append("--no-display")
    if dump:
        cmd.append("--dump")
    if tumble:
        cmd.append("--tumble")
    if faces:
        cmd += ["--faces", str(faces)]
    if send is not None:
        cmd += ["--send", send]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"pd_sim failed ({proc.returncode}): {proc.stderr.strip()}")
    return load_run(out_dir, proc.returncode)


def load_run(out_dir: Path, returncode: int = 0) -> SimRun:
    """Parse the three files pd_sim wrote into out_dir."""
    out_dir = Path(out_dir)
    uart = (out_dir / "uart.log").read_bytes().decode("ascii", "replace")
    info, rolls = parse_uart(uart)
    transactions = []
    for line in (out_dir / "i2c.txt").read_text().splitlines():
        parts = line.split()
        data = bytes.fromhex(parts[3]) if len(parts) > 3 else b""
        transactions.append(Transaction(int(parts[0]), int(parts[1], 16), parts[2] == "1", data))
    events: list[tuple[str, int, str]] = []
    end_cycle, end_reason = 0, "missing"
    for line in (out_dir / "events.txt").read_text().splitlines():
        parts = line.split()
        if parts[0] == "end":
            end_cycle, end_reason = int(parts[1]), parts[3]
            continue
        if parts[0].startswith("stack_") or parts[0] == "asleep":  # simulator figures
            info[f"sim_{parts[0]}"] = int(parts[2])
            continue
        events.append((parts[0], int(parts[1]), parts[2] if len(parts) > 2 else ""))
    # Attach the simulator's timestamps: the n-th roll (frame) line, and the LED edges
    # between it and the line before (several when the firmware printed the rows).
    edges = [(c, name == "led_on") for name, c, _ in events if name in ("led_on", "led_off")]
    images = [img for r in rolls for img in (*r.frames, r)]  # in UART order
    dones = [c for name, c, _ in events if name in ("frame", "roll")]
    before = 0
    for img, done in zip(images, dones):
        img.done = done
        mine = [(c, on) for c, on in edges if before < c < done]
        before = done
        while mine and not mine[0][1]:  # (the pin's first report at reset is an "off")
            mine.pop(0)
        if not mine:
            continue
        img.led_on = mine[0][0]
        img.led_off = max((c for c, on in mine if not on), default=0)
        img.dump_cycles = sum(b - a for (a, a_on), (b, b_on) in zip(mine, mine[1:])
                              if not a_on and b_on)  # dark gaps: the firmware printing rows
    return SimRun(out_dir, returncode, uart, rolls, transactions, events, end_cycle, end_reason, info)


# ---- what the display shows ------------------------------------------------------------------


def _panels_at(run: SimRun, cycles: Sequence[int]) -> list[np.ndarray]:
    """The emulated panel at each of these (increasing) simulator cycles."""
    from pipdream.sim.ssd1306 import SSD1306

    oled = SSD1306(128, 64)
    panels = []
    txs = iter(t for t in run.transactions if t.acked and t.addr == DISPLAY_ADDR)
    pending = next(txs, None)
    for when in cycles:
        while pending is not None and pending.cycle < when:
            oled.write(pending.data)
            pending = next(txs, None)
        panels.append(oled.panel().copy())
    return panels


def replay(run: SimRun) -> list[np.ndarray]:
    """Feed the recorded I2C stream to the SSD1306 emulator; the panel after each roll.

    Returns one (64, 128) bool array per completed roll (True = lit)."""
    return _panels_at(run, [r.done for r in run.rolls])


def replay_frames(run: SimRun) -> list[list[np.ndarray]]:
    """The panel after each tumble frame, per roll (an empty list for a roll without one)."""
    panels = iter(_panels_at(run, [f.done for r in run.rolls for f in r.frames]))
    return [[next(panels) for _ in r.frames] for r in run.rolls]


def _pdview():
    """device/pdview.py (it imports pdformat from device/)."""
    if str(DEVICE) not in sys.path:
        sys.path.insert(0, str(DEVICE))
    return importlib.import_module("pdview")


def expected_panel(image: np.ndarray, face: int | None, width: int = 128, height: int = 64) -> np.ndarray:
    """What the MicroPython app's View shows for one die (threshold 128, scale 2, number on):
    a (height, width) bool array, drawn by device/pdview.py itself. face None: no number
    (the AVR tumble's frames blank it)."""
    pv = _pdview()
    slot = pv.layout(width, height, 1)[0]
    buf = bytearray(width * height // 8)  # MONO_VLSB page buffer
    off = (slot.y >> 3) * width + slot.x
    pv.render_die(bytes(np.asarray(image, np.uint8).reshape(-1)), buf, off, width, slot.scale,
                  pv.THRESHOLD, 128)
    if slot.num_scale and face is not None:
        noff = (slot.num_y >> 3) * width + slot.num_x
        pv.render_digit(face, buf, noff, width, slot.num_scale)
    pages = np.frombuffer(bytes(buf), np.uint8).reshape(height // 8, width)
    bits = np.unpackbits(pages[:, None, :], axis=1, bitorder="little")  # (pages, 8, width)
    return bits.reshape(height, width).astype(bool)


def section_sizes(elf: Path) -> dict[str, int]:
    """Bytes of .text, .data and .bss (avr-size -A)."""
    out = subprocess.run(["avr-size", "-A", str(elf)], check=True, capture_output=True, text=True).stdout
    sizes = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] in (".text", ".data", ".bss"):
            sizes[parts[0][1:]] = int(parts[1])
    return sizes


def cycles_to_seconds(cycles: int) -> float:
    return cycles / F_CPU


FLASH_BYTES = 32 * 1024  # the ATmega328p's program flash: the linker's text region


def check_flash_fit(blob: Path, hook: bool = False, impl: str = "asm") -> None:
    """ValueError giving the bytes over when the firmware with this blob cannot fit the flash,
    before that firmware is built. The code's share is measured on this variant's build with
    the default blob (make reuses it): its .text + .data less that blob."""
    blob = Path(blob)
    if blob.resolve() == default_blob().resolve():
        return
    elf = build_firmware(hook=hook, impl=impl)
    sizes = section_sizes(elf)
    code = sizes["text"] + sizes.get("data", 0) - default_blob().stat().st_size
    over = code + blob.stat().st_size - FLASH_BYTES
    if over > 0:
        raise ValueError(f"{blob} ({blob.stat().st_size:,} bytes) does not fit the ATmega328p's flash: "
                         f"{over:,} bytes over (the firmware's code and the tumble take {code:,} of "
                         f"its {FLASH_BYTES:,})")


# ---- the whole session: `pipdream avr-sim` ---------------------------------------------------------


def default_blob() -> Path:
    """models/default.blob when it exists, else the build's synthetic default-architecture blob."""
    shipped = paths.MODELS / "default.blob"
    if shipped.exists():
        return shipped
    path = build_root() / "synthetic.blob"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(default_shape_blob())
    return path


def _tumble_record(r: Roll, fpanels: list[np.ndarray], panel: np.ndarray | None, fast: QModel,
                   out: Path, scale: int) -> dict:
    """A roll's tumble frames, checked against reference.py on the fast model, and its GIF
    (each picture held for the simulated time until the next one was complete)."""
    from pipdream import reference
    from pipdream.sim.render import save_gif

    refs = reference.run(fast, np.array([f.face for f in r.frames]), np.array([f.angle for f in r.frames]))
    frames = []
    for f, fp, ref in zip(r.frames, fpanels, refs):
        rec = {"frame": f.n, "face": f.face, "angle": f.angle, "cycles": f.cycles,
               "ms_at_16mhz": round(1000 * cycles_to_seconds(f.cycles), 1), "status": f.status,
               "display_matches_reference": bool(np.array_equal(fp, expected_panel(ref, None)))}
        if f.image is not None:
            rec["image_matches_reference"] = bool(np.array_equal(f.image, ref))
        frames.append(rec)
    worst = max(f.cycles for f in r.frames)
    images = [*r.frames, r]
    # the whole roll and the GIF's timing leave out the test hook's row dumps, as the chip would
    dump = sum(i.dump_cycles for i in images)
    result = {"frames": frames, "worst_frame_cycles": worst,
              "worst_frame_ms": round(1000 * cycles_to_seconds(worst), 1),
              "roll_ms_at_16mhz": round(1000 * cycles_to_seconds(r.done - r.frames[0].led_on - dump), 1)}
    if panel is not None:
        durations = [round(1000 * cycles_to_seconds(b.done - a.done - b.dump_cycles))
                     for a, b in zip(images, images[1:])] + [0]
        result["gif"] = save_gif([*fpanels, panel], durations, out / f"roll-{r.n:02d}.gif", scale=scale).name
    return result


def simulate(out: Path, rolls: int = 3, face: int | None = None, angle: int | None = None,
             blob: Path | None = None, impl: str = "asm", display: bool = True, wdt_seed: int = 1,
             scale: int = 4, log=print) -> dict:
    """Build, run `rolls` rolls in simavr, replay the display, write PNGs, an animated GIF
    of each roll's tumble and rolls.json.

    face/angle force every roll (the test-hook build); otherwise the button is pressed
    and the firmware draws its own. Each roll is checked against reference.py on the
    same blob (the panel, and with a forced roll the raw image bytes), each tumble frame
    against reference.py on models/fast.blob."""
    from pipdream import reference
    from pipdream.blob import check_die, load, read_file
    from pipdream.sim.render import save_png

    if rolls < 1 or rolls > 200:
        raise ValueError("--rolls must be 1..200")
    if (face is None) != (angle is None):
        raise ValueError("--face and --angle go together")
    if face is not None and not 1 <= face <= F.N_FACES:
        raise ValueError(f"--face must be 1..{F.N_FACES}")
    if angle is not None and not -F.ANGLE_CODE_MAX <= angle <= F.ANGLE_CODE_MAX:
        raise ValueError(f"--angle must be -{F.ANGLE_CODE_MAX}..{F.ANGLE_CODE_MAX}")
    blob = Path(blob) if blob is not None else default_blob()
    model = check_die(load(read_file(blob)), blob)  # BlobError (a ValueError) for a bad blob
    forced = [(face, angle)] * rolls if face is not None else []
    check_flash_fit(blob, hook=bool(forced), impl=impl)  # one line, not the linker's
    log(f"building the firmware ({impl}, {'test hook' if forced else 'shipped'} build, {blob.name}) "
        "and the simavr harness ...")
    elf = build_firmware(hook=bool(forced), blob=blob, impl=impl)
    out = Path(out)
    run = run_sim(elf, out / "sim", rolls=rolls, forced=forced, display=display, wdt_seed=wdt_seed,
                  dump=bool(forced), tumble=bool(forced))
    panels = replay(run) if display else [None] * len(run.rolls)
    frame_panels = replay_frames(run) if display else [[] for _ in run.rolls]
    fast = load(FAST_BLOB.read_bytes()) if any(r.frames for r in run.rolls) else None
    records = []
    for r, panel, fpanels in zip(run.rolls, panels, frame_panels):
        ref = reference.run(model, np.array([r.face]), np.array([r.angle]))[0]
        rec = {
            "roll": r.n, "face": r.face, "angle": r.angle,
            "cycles": r.cycles, "sim_cycles": r.sim_cycles,
            "ms_at_16mhz": round(1000 * cycles_to_seconds(r.cycles), 1),
            "i2c_cycles": r.i2c, "stack_bytes": r.stack, "ram_bytes": r.ram, "display": r.display,
            "status": r.status,
        }
        if panel is not None:
            rec["png"] = save_png(panel, out / f"roll-{r.n:02d}.png", scale=scale).name
            rec["display_matches_reference"] = bool(np.array_equal(panel, expected_panel(ref, r.face)))
        if r.image is not None:
            rec["image_matches_reference"] = bool(np.array_equal(r.image, ref))
            # the test hook's "px" lines (simavr, LED dark): in neither cycles nor sim_cycles
            rec["dump_cycles"] = r.dump_cycles
        if r.frames:
            rec["tumble"] = _tumble_record(r, fpanels, panel, fast, out, scale)
        records.append(rec)
    summary = {
        "board": "atmega328p", "f_cpu": F_CPU, "impl": impl, "blob": str(blob),
        "firmware": str(elf), "test_hook": bool(forced), "display": display, "wdt_seed": wdt_seed,
        "boot": {k: v for k, v in run.info.items() if k != "errors"},
        "end": run.end_reason, "sim_end_cycle": run.end_cycle,
        "rolls": records,
    }
    (out / "rolls.json").write_text(json.dumps(summary, indent=1) + "\n")
    for rec in records:
        checks = [f"{k.split('_')[0]} {'ok' if rec[k] else 'DIFFERS'}" for k in
                  ("display_matches_reference", "image_matches_reference") if k in rec]
        t = rec.get("tumble")
        if t:
            ok = all(f["display_matches_reference"] for f in t["frames"])
            log(f"roll {rec['roll']} tumble: {len(t['frames'])} frames of the fast model, worst "
                f"{t['worst_frame_cycles']:,} cycles ({t['worst_frame_ms']} ms), "
                f"{'all match' if ok else 'SOME DIFFER from'} reference -> {out / t['gif']}")
        dump = (f"; the test hook's row dump, {rec['dump_cycles']:,} more, is left out"
                if rec.get("dump_cycles") else "")
        log(f"roll {rec['roll']}: face {rec['face']}, angle {rec['angle']}, {rec['cycles']:,} cycles "
            f"({rec['ms_at_16mhz']} ms at 16 MHz{dump}), stack {rec['stack_bytes']} B, "
            f"RAM {rec['ram_bytes']} B, "
            f"display {rec['display']}" + (f" -> {out / rec['png']}" if "png" in rec else "")
            + (f" [{', '.join(checks)} vs reference]" if checks else ""))
    log(f"wrote {out / 'rolls.json'} ({len(records)} of {rolls} rolls; simulator: {run.end_reason})")
    if len(records) < rolls:
        raise RuntimeError(f"the firmware completed {len(records)} of {rolls} rolls ({run.end_reason}); "
                           f"UART log: {out / 'sim' / 'uart.log'}")
    return summary
