"""`pipdream demo`: roll the die on a simulated board and keep the pictures.

The device app (device/main.py, unchanged) boots on the real MicroPython unix runtime with the
x64 natmod, the board module of a Pico, an emulated SSD1306 and a scripted button. The button
is pressed N times; every frame the display receives is drawn in the terminal, and DIR gets a
PNG of each final face, an animated GIF of each roll and rolls.json.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from pipdream.sim import stage
from pipdream.sim.bus import Frame
from pipdream.sim.render import save_gif, save_png, to_terminal
from pipdream.sim.runner import RunResult, run_board
from pipdream.sim.world import Script

BACKENDS = ("natmod", "viper", "python", "auto")
BOOT_QUIET_MS = 400  # the title screen is up once the app has waited this long
ROLL_MAX_S = 120  # give up on a roll after this much board time (pure Python on a Pico: about 12 s a frame)
PRESS_MS = 120
BOUNCE_EDGES = 4
ROLL_LINE = re.compile(r"roll (\d+): ([\d ]+) \(angle ([-\d ]+), (\d+) frames, (.+)\)")


@dataclass
class DemoOptions:
    rolls: int = 3
    seed: int | None = None
    backend: str = "natmod"
    out: Path = Path("out/demo")
    board: str = "pico"
    show: str = "auto"  # all (each frame, redrawn in place), final (each roll's last frame), none
    scale: int = 4  # PNG/GIF pixels per display pixel
    settings: dict[str, Any] = field(default_factory=dict)  # extra pdsettings overrides
    model: Path = stage.DEFAULT_MODEL
    timeout_s: float | None = None  # host seconds for the whole run (None: by rolls and backend)
    host_clock: tuple[int, int, int] | None = None  # tests: a slow host (see World.host_clock)
    board_overrides: dict[str, Any] = field(default_factory=dict)  # the simulated board's profile

    def wall_budget_s(self) -> float:
        """Host seconds the run may take: generous for a slow, loaded host (a stuck board is
        stopped much sooner, by the runner's stall check)."""
        if self.timeout_s is not None:
            return self.timeout_s
        return 120.0 + self.rolls * (120.0 if self.backend == "python" else 20.0)


@dataclass
class Roll:
    number: int
    t_press_us: int
    frames: list[Frame] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)  # from the app's console line

    def record(self, i2c_hz: int) -> dict[str, Any]:
        times = [f.t_us for f in self.frames]
        frame_ms = [round((b - a) / 1000, 3) for a, b in zip(times, times[1:])]
        data = [f.bus_bytes for f in self.frames]
        return {
            "roll": self.number,
            "face": self.info.get("face"),
            "faces": self.info.get("faces"),
            "angle": self.info.get("angle"),
            "angles": self.info.get("angles"),
            "backend": self.info.get("backend"),
            "frames": len(self.frames),
            "frames_app": self.info.get("frames"),
            "first_frame_ms": round((times[0] - self.t_press_us) / 1000, 3) if times else None,
            "frame_ms": frame_ms,
            "mean_frame_ms": round(sum(frame_ms) / len(frame_ms), 3) if frame_ms else None,
            "bus_bytes_per_frame": data,
            # the frame rate the bus allows the tumble's die window, its most common frame (not roll 1's
            # full-screen clear, nor the final number): 9 clocks per byte
            "i2c_ceiling_fps": round(i2c_hz / (9 * statistics.mode(data)), 1) if data and max(data) else None,
        }


class TerminalShow:
    """Draws frames as they arrive: in place on a terminal, or only each roll's last frame."""

    def __init__(self, mode: str, stream: TextIO | None = None) -> None:
        stream = stream or sys.stdout
        tty = stream.isatty()
        self.mode = ("all" if tty else "final") if mode == "auto" else mode
        self.stream = stream
        self.pace = tty and self.mode == "all"
        cols = shutil.get_terminal_size((80, 24)).columns
        self.quarter = cols < 130  # quadrant blocks fit an 80-column terminal
        self._drawn_lines = 0  # lines of the frame on screen right above the cursor (0: none)
        self._last_t: int | None = None
        self.pending: Frame | None = None  # final mode: the newest frame, printed at roll end

    def frame(self, f: Frame, title: str) -> None:
        if self.mode == "all":
            if self.pace and self._last_t is not None:
                time.sleep(min(max(0.0, (f.t_us - self._last_t) / 1e6), 0.25))
            self._last_t = f.t_us
            self._draw(f, title)
        elif self.mode == "final":
            self.pending = f

    def flush(self, title: str) -> None:
        """Final mode: print the newest frame (the end of a roll)."""
        if self.mode == "final" and self.pending is not None:
            self._draw(self.pending, title)
            self.pending = None
            self._drawn_lines = 0

    def line(self, text: str) -> None:
        """A console line of the board (printed in every mode: "none" means no pictures)."""
        self.stream.write(text + "\n")
        self.stream.flush()
        self._drawn_lines = 0
        self._last_t = None

    def _draw(self, f: Frame, title: str) -> None:
        text = f"{title}\n{to_terminal(f.panel, quarter=self.quarter)}\n"
        if self._drawn_lines and self.mode == "all" and self.stream.isatty():
            self.stream.write(f"\x1b[{self._drawn_lines}A")  # back over the previous frame
        self.stream.write(text)
        self.stream.flush()
        self._drawn_lines = text.count("\n")


def roll_quiet_ms(settings: dict[str, Any]) -> int:
    """Waiting without drawing that means a roll is over: longer than all the waits of a roll
    (a tumble frame that did not change the picture sends nothing, then waits FRAME_MS)."""
    def get(name: str) -> Any:
        return settings.get(name, stage.device_setting(name))

    return 2 * int(get("MAX_FRAMES")) * int(get("FRAME_MS")) + 500


def demo_script(pin: int | str, active: int, rolls: int, quiet_ms: int) -> Script:
    s = Script().quiet(BOOT_QUIET_MS, max_ms=ROLL_MAX_S * 1000).mark("title")
    for i in range(1, rolls + 1):
        s.mark(f"roll {i}").press(pin, hold_ms=PRESS_MS, bounce_edges=BOUNCE_EDGES, active=active)
        s.quiet(quiet_ms, max_ms=ROLL_MAX_S * 1000)
    return s.end("all rolls done")


def run_demo(opts: DemoOptions, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Run the demo; returns what rolls.json holds. ValueError for bad options."""
    if not 1 <= opts.rolls <= 1000:
        raise ValueError("--rolls must be 1..1000")
    if opts.backend not in BACKENDS:
        raise ValueError(f"--backend must be one of {', '.join(BACKENDS)}")
    if opts.board not in stage.simulated_boards():
        raise ValueError(f"--board must be one of {', '.join(stage.simulated_boards())}")
    consts = stage.board_constants(opts.board)
    pin, active = stage.button(consts)
    seed = opts.seed if opts.seed is not None else int.from_bytes(os.urandom(3), "big")
    natmod = None
    if opts.backend in ("natmod", "auto"):
        log("building the x64 natmod (make -C natmod ARCH=x64; quick when it is current) ...")
        try:
            natmod = stage.natmod_x64()
        except RuntimeError as e:
            if opts.backend == "natmod":
                raise ValueError(f"{e}\nthe natmod could not be built; try --backend viper") from e
            log(f"no natmod ({str(e).splitlines()[0]}); the app picks its next backend")
    settings = {"BACKEND": None if opts.backend == "auto" else opts.backend, "CONSOLE": True, **opts.settings}
    show = TerminalShow(opts.show)
    script = demo_script(pin, active, opts.rolls, roll_quiet_ms(settings))
    world = stage.board_world(opts.board, script, seed=seed, host_clock=opts.host_clock,
                              board_overrides=opts.board_overrides)
    display = world.displays[0]
    i2c_hz = int(consts.get("I2C_FREQ", 400_000))
    rolls: list[Roll] = []
    title_frame: list[Frame] = []

    def on_frame(f: Frame) -> None:  # a new frame, or the last one updated (bus.MERGE_US)
        if rolls:
            frames = rolls[-1].frames
            if not frames or frames[-1] is not f:
                frames.append(f)
            show.frame(f, f"roll {rolls[-1].number} of {opts.rolls}, frame {len(frames)}")
        else:
            title_frame[:] = [f]
            show.frame(f, "booting")

    def on_record(rec) -> None:
        if rec.kind == "mark" and rec.fields[0] == "roll":
            show.flush(f"roll {rolls[-1].number}" if rolls else "title screen")
            rolls.append(Roll(int(rec.fields[1]), rec.t_us))
        elif rec.kind == "end":
            show.flush(f"roll {rolls[-1].number}" if rolls else "title screen")

    def on_console(line: str) -> None:
        show.line(f"  board| {line}")
        m = ROLL_LINE.search(line)
        if m:
            n = int(m.group(1))
            faces = [int(x) for x in m.group(2).split()]
            angles = [int(x) for x in m.group(3).split()]
            info = {"face": faces[0], "faces": faces, "angle": angles[0], "angles": angles,
                    "frames": int(m.group(4)), "backend": m.group(5)}
            pending_info[n] = info

    pending_info: dict[int, dict[str, Any]] = {}
    log(f"pipdream demo: a simulated {opts.board} board ({display.width}x{display.height} SSD1306 "
        f"on I2C, button on pin {pin}), {opts.rolls} roll(s), backend {opts.backend}, seed {seed}")
    with tempfile.TemporaryDirectory(prefix="pipdream-demo-") as tmp:
        root = stage.stage_root(Path(tmp) / "board", board=opts.board, natmod=natmod, settings=settings,
                                model=opts.model)
        result: RunResult = run_board(world, script=root / "main.py", root=root, on_frame=on_frame,
                                      on_record=on_record, on_console=on_console,
                                      timeout_s=opts.wall_budget_s())
    for r in rolls:
        r.info = pending_info.get(r.number, {})
    return _write_outputs(opts, seed, rolls, title_frame, result, i2c_hz, log)


def _write_outputs(opts: DemoOptions, seed: int, rolls: list[Roll], title: list[Frame], result: RunResult,
                   i2c_hz: int, log: Callable[[str], None]) -> dict[str, Any]:
    out = opts.out
    out.mkdir(parents=True, exist_ok=True)
    if title:
        save_png(title[0].panel, out / "title.png", scale=opts.scale)
    records = []
    for r in rolls:
        rec = r.record(i2c_hz)
        if r.frames:
            rec["png"] = save_png(r.frames[-1].panel, out / f"roll-{r.number:02d}.png", scale=opts.scale).name
            durations = [max(20, int(ms)) for ms in rec["frame_ms"]] + [1500]
            rec["gif"] = save_gif([f.panel for f in r.frames], durations, out / f"roll-{r.number:02d}.gif",
                                  scale=opts.scale).name
        records.append(rec)
    oled = next(iter(result.view.displays.values()))
    summary = {
        "board": opts.board,
        "backend_requested": opts.backend,
        "seed": seed,
        "clock": ("virtual: waits, bus transfers and each generate() at the board's measured cycles per MAC "
                  "(pipdream.sim.compute) move the board's clock; this host's speed changes nothing"),
        "i2c_hz": i2c_hz,
        "display_problems": {"unknown_commands": [f"0x{c:02X}" for c in oled.unknown_commands],
                             "notes": oled.notes},
        "wall_s": round(result.wall_s, 2),
        "rolls": records,
    }
    (out / "rolls.json").write_text(json.dumps(summary, indent=1) + "\n")
    for rec in records:
        face = rec["face"] if rec["face"] is not None else "?"
        ms = f"{rec['mean_frame_ms']:.0f} ms/frame" if rec["mean_frame_ms"] is not None else "1 frame"
        drawn = rec["frames_app"] if rec["frames_app"] is not None else rec["frames"]
        shown = "" if drawn == rec["frames"] else f", {rec['frames']} changed the display"
        log(f"roll {rec['roll']}: face {face}, angle {rec['angle']}, backend {rec['backend']}, "
            f"{drawn} frames drawn{shown} ({ms}) -> {out / rec.get('png', '-')}, {out / rec.get('gif', '-')}")
    log(f"wrote {out / 'rolls.json'} ({len(records)} rolls, {result.wall_s:.1f} s)")
    if records and records[0].get("gif"):
        log(f"watch a roll again: open {out / records[0]['gif']}; how it works: docs/simulation.md")
    return summary
