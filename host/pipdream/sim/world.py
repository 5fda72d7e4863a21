"""The simulated board's world, as the host describes it: board, devices, clock and script.

A `World` is written as JSON and read by `simboard` inside MicroPython (PIPDREAM_SIM_WORLD).
Script steps run in order; each starts a delay after the previous one finished:

    s = Script()
    s.wait(200).press(15, hold_ms=120, bounce_edges=8)   # an active-low button with bounce
    s.quiet(400)                                         # until the display has been idle 400 ms
    s.end("done")

Times in the JSON are microseconds; the builder takes milliseconds.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipdream.boards import board_module, known_boards, sim_profile
from pipdream.sim.compute import app_costs_us, cycles_per_mac

# Board profiles: what the `machine` stand-in must behave like, one per MicroPython board module
# (its SIM table, heap and clock: pipdream.boards.sim_profile; boards/board_pico.py says what each
# field means).
BOARDS: dict[str, dict[str, Any]] = {
    b.name: p for b in map(board_module, known_boards()) if (p := sim_profile(b)) is not None}

HOST_CLOCK_ENV = "PIPDREAM_SIM_HOST_CLOCK"
CLOCKS = ("virtual", "real")  # simboard's clock modes: deterministic, or the host's (a person watches)
BUTTON_BOUNCE_US = 400  # spacing of bounce edges (contacts bounce for a few ms in all)


def env_host_clock() -> tuple[int, int, int] | None:
    """World.host_clock from $PIPDREAM_SIM_HOST_CLOCK ("min_us,max_us,seed"), for a whole test run."""
    text = os.environ.get(HOST_CLOCK_ENV)
    if not text:
        return None
    try:
        lo, hi, seed = (int(x) for x in text.split(","))
    except ValueError:
        raise ValueError(f"{HOST_CLOCK_ENV} must be min_us,max_us,seed, not {text!r}") from None
    if not 0 <= lo <= hi:
        raise ValueError(f"{HOST_CLOCK_ENV}: need 0 <= min_us <= max_us")
    return lo, hi, seed


def write_script(steps: list[list[Any]], path: Path) -> dict[str, Any]:
    """Steps as one JSON line each, padded to one width, so step i is at byte i * width.

    Returns the world's fields that name the file: script_file, script_steps, script_width."""
    lines = [json.dumps(s, separators=(",", ":")) for s in steps]
    width = max(map(len, lines), default=0) + 1
    path.write_text("".join(line.ljust(width - 1) + "\n" for line in lines))
    return {"script_file": str(path), "script_steps": len(steps), "script_width": width}


def read_script(world: dict[str, Any]) -> list[list[Any]]:
    """All steps of a world's JSON (inline, or in its script file), for the CPython simulation."""
    if "script_file" not in world:
        return world.get("script") or []
    return [json.loads(line) for line in Path(world["script_file"]).read_text().splitlines()]


class Script:
    """Timed steps for simboard; every method returns the script so calls chain."""

    def __init__(self) -> None:
        self.steps: list[list[Any]] = []
        self._delay_us = 0

    def _add(self, op: str, *args: Any) -> Script:
        self.steps.append([self._delay_us, op, *args])
        self._delay_us = 0
        return self

    def wait(self, ms: float) -> Script:
        if ms < 0:
            raise ValueError("wait needs a duration >= 0")
        self._delay_us += int(round(ms * 1000))
        return self

    def level(self, pin: int | str, level: int | None) -> Script:
        """Drive a pin from outside (0 or 1), or let it go (None: the pull decides)."""
        if level not in (0, 1, None):
            raise ValueError("level must be 0, 1 or None")
        return self._add("level", pin, level)

    def edges(self, pin: int | str, n: int, span_ms: float, *, active: int = 0) -> Script:
        """n edges evenly spread over span_ms, starting with the press edge (a bounce burst).

        An odd n leaves the button pressed, an even n released."""
        if n < 1:
            raise ValueError("a burst has at least one edge")
        step = span_ms / max(1, n - 1)
        for i in range(n):
            if i:
                self.wait(step)
            self.level(pin, active if i % 2 == 0 else None)
        return self

    def press(self, pin: int | str, *, hold_ms: float = 120, bounce_edges: int = 0,
              active: int = 0) -> Script:
        """Press and release a push button to `active`, with bounce on both edges."""
        gap = BUTTON_BOUNCE_US / 1000
        self.edges(pin, 1 + 2 * bounce_edges, 2 * bounce_edges * gap, active=active)
        self.wait(hold_ms)
        self.level(pin, None)
        for _ in range(bounce_edges):
            self.wait(gap).level(pin, active).wait(gap).level(pin, None)
        return self

    def quiet(self, ms: float = 300, *, max_ms: float = 60_000) -> Script:
        """Wait until no display traffic for ms (the app is done drawing); fail after max_ms."""
        return self._add("quiet", int(ms * 1000), int(max_ms * 1000))

    def repeat(self, steps: int, times: int) -> Script:
        """Run the last `steps` steps `times` more times (long runs without a long script)."""
        if not 1 <= steps <= len(self.steps) or times < 0:
            raise ValueError("repeat needs 1..len(steps) steps and times >= 0")
        return self._add("repeat", steps, times)

    def attach(self, device: str) -> Script:
        return self._add("attach", device)

    def detach(self, device: str) -> Script:
        return self._add("detach", device)

    def mark(self, text: str) -> Script:
        if not text or "\n" in text:
            raise ValueError("a mark is one non-empty line")
        return self._add("mark", text)

    def end(self, reason: str = "script done") -> Script:
        return self._add("end", reason)

    def describe(self, i: int) -> str:
        """Step i in words (for messages about a board stuck at it)."""
        dt, op, *args = self.steps[i]
        after = f" {dt / 1000:g} ms after the previous step" if dt else ""
        if op == "quiet":
            return f"no display traffic for {args[0] / 1000:g} ms (at most {args[1] / 1e6:g} s){after}"
        if op == "level":
            return f"pin {args[0]} driven to {'released' if args[1] is None else args[1]}{after}"
        return " ".join([op, *map(str, args)]) + after


@dataclass
class Display:
    """An SSD1306 module in the world (geometry is host-side; simboard sees a bus device)."""

    name: str = "oled"
    width: int = 128
    height: int = 64
    bus: str = "i2c"
    addr: int = 0x3C
    scl: int | str = 5
    sda: int | str = 4
    sck: int | str = 18
    dc: int | str = 16
    cs: int | str | None = 17
    res: int | str | None = 20
    present: bool = True
    external_vcc: bool = False

    def device(self) -> dict[str, Any]:
        if self.bus == "i2c":
            return {"name": self.name, "kind": "ssd1306", "bus": "i2c", "scl": self.scl, "sda": self.sda,
                    "addr": self.addr, "present": self.present}
        if self.bus == "spi":
            return {"name": self.name, "kind": "ssd1306", "bus": "spi", "sck": self.sck, "dc": self.dc,
                    "cs": self.cs, "res": self.res, "present": self.present}
        raise ValueError(f"display bus must be i2c or spi, not {self.bus!r}")


@dataclass
class World:
    board: str = "pico"
    displays: list[Display] = field(default_factory=lambda: [Display()])
    other_devices: list[dict[str, Any]] = field(default_factory=list)  # e.g. {"kind": "ram", ...}
    script: Script = field(default_factory=Script)
    clock: str = "virtual"
    quantum_us: int = 1
    seed: int | None = None
    ticks_start_ms: int = 0
    limit_s: float = 3600.0
    pulls: dict[str, int] = field(default_factory=dict)  # board resistors: pin -> level
    watch_pins: list[str] = field(default_factory=list)  # output pins to record (LEDs)
    board_overrides: dict[str, Any] = field(default_factory=dict)
    # A slow host on purpose (tests): each read of the host's clock advances it min_us..max_us
    # (seeded), and real sleeps do not sleep. Default: from $PIPDREAM_SIM_HOST_CLOCK ("1,50,7").
    host_clock: tuple[int, int, int] | None = None

    def display(self, name: str) -> Display:
        for d in self.displays:
            if d.name == name:
                return d
        raise KeyError(name)

    def to_json(self) -> dict[str, Any]:
        if self.board not in BOARDS:
            raise ValueError(f"unknown board {self.board!r}; simulated boards: {', '.join(BOARDS)}")
        if self.clock not in CLOCKS:
            raise ValueError(f"clock must be one of {', '.join(CLOCKS)}")
        board = {"cycles_per_mac": cycles_per_mac(), "app_costs_us": app_costs_us(), **BOARDS[self.board],
                 **self.board_overrides}
        return {
            "board": board,
            "clock": self.clock,
            "quantum_us": self.quantum_us,
            "seed": self.seed,
            "ticks_start_ms": self.ticks_start_ms,
            "limit_us": int(self.limit_s * 1e6),
            "devices": [d.device() for d in self.displays] + list(self.other_devices),
            "pulls": {str(k): v for k, v in self.pulls.items()},
            "watch_pins": [str(p) for p in self.watch_pins],
            "script": self.script.steps,
            "host_clock": list(self.host_clock or env_host_clock() or ()) or None,
        }

    def write(self, path: Path) -> Path:
        """The world as JSON at path; its script in path + ".script" (write_script), which
        simboard reads a step at a time, so a long script costs the app's heap nothing."""
        data = self.to_json()
        data.update(write_script(data.pop("script"), path.with_name(path.name + ".script")))
        path.write_text(json.dumps(data, indent=1))
        return path

    def heap_bytes(self) -> int:
        return int({**BOARDS[self.board], **self.board_overrides}.get("heap", 192 * 1024))
