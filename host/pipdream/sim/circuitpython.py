"""The CircuitPython path on CPython: `board`, `busio` and `digitalio` stand-ins over the simulation.

The unchanged app (code.py, pdboard_circuitpython, the real `adafruit_ssd1306` from PyPI) runs on CPython
with host/pipdream/sim/cpy/ first on its path, whose board/busio/digitalio modules are thin
aliases of the classes here. They read the same world JSON as simboard (PIPDREAM_SIM_WORLD)
and write the same record stream (PIPDREAM_SIM_BUS), so the host renders it with the same
SSD1306 emulator and BoardView. Differences from the MicroPython board, by design:
- the clock is the same virtual one (World.clock, docs/simulation.md): the process's
  time.sleep, time.monotonic and time.monotonic_ns are the board's, I2C and SPI transfers take
  their bus time, and each generate() the board's cycles per MAC (mpy/timed.py), so nothing
  depends on the host's speed; clock "real" keeps CPython's own clock and sleeps;
- CircuitPython has no pin IRQs; the app polls DigitalInOut.value;
- with a seed in the world, os.urandom gives the same stream as the MicroPython board's
  (host/pipdream/sim/mpy/xorshift.py), so both paths roll the same faces.

`run_circuitpython(world, root)` runs code.py in root (see stage.stage_circuitpython_root).
"""

from __future__ import annotations

import builtins
import json
import os
import time
from pathlib import Path
from typing import Any

from pipdream.sim.world import read_script

_host_monotonic_ns = time.monotonic_ns  # the host's clock, before the virtual clock replaces it
_host_sleep = time.sleep

CPY_DIR = Path(__file__).resolve().parent / "cpy"
ENODEV = 19  # what CircuitPython's busio.I2C raises for a NACKed address (RP2040 port)


def seeded_urandom(seed: int):
    """The MicroPython stand-in's seeded os.urandom (mpy/os.py): the same xorshift32 code."""
    from pipdream.sim.mpy import xorshift

    state = [xorshift.seed_state(seed)]

    def urandom(n: int) -> bytes:
        out, state[0] = xorshift.draw(state[0], n)
        return out

    return urandom


class SimBoard:
    """The world of one CircuitPython board; one per process (`current()`)."""

    def __init__(self, world: dict[str, Any], bus_path: str | None) -> None:
        self.world = world
        self.board = world.get("board") or {}
        self.virtual = world.get("clock", "virtual") == "virtual"
        self._quantum = int(world.get("quantum_us", 1))
        self._host_reads = 0
        self._t0 = self._host_ns()
        self._v = 0  # virtual clock, microseconds since boot
        self._busy = 0  # of which computing (generate(), clock reads), not waiting
        self._computing = False
        self._out = open(bus_path, "w", buffering=1) if bus_path else None  # lives with the process
        self.script = read_script(world)
        self._si = 0
        self._base = 0
        self._waited_at_bus = 0
        self._waited_at_base = 0
        self._repeats: dict[int, int] = {}
        self.ended = False
        self.levels: dict[Any, int | None] = {}  # pins driven from outside
        self.devices = {}
        self.spi_devices: list[dict[str, Any]] = []
        self.outputs: dict[Any, int] = {}  # levels the app drives (DigitalInOut outputs)
        for d in world.get("devices", []):
            d.setdefault("present", True)
            if d["bus"] == "i2c":
                self.devices[(self.pin_id(d["scl"]), self.pin_id(d["sda"]), d["addr"])] = d
            elif d["bus"] == "spi":
                self.spi_devices.append(d)
        if world.get("seed") is not None:
            os.urandom = seeded_urandom(world["seed"])  # what the app's pdrandom picks up
        name = self.board.get("name", "?") + "-circuitpython"
        self.emit("boot", name, "virtual" if self.virtual else "real")

    def pin_id(self, pid: Any) -> Any:
        pre = self.board.get("pin_prefix") or "GP"
        if isinstance(pid, str) and pid.startswith(pre) and pid[len(pre):].isdigit():
            return int(pid[len(pre):])
        return pid

    # -- the clock ----------------------------------------------------------------------------
    def _host_ns(self) -> int:
        self._host_reads += 1
        return _host_monotonic_ns()

    def now_us(self) -> int:
        return self._v if self.virtual else (self._host_ns() - self._t0) // 1000

    def _waited_us(self) -> int:
        return self.now_us() - self._busy

    def become_the_process_clock(self) -> None:
        """In the board's own process (cpy/board.py): time.sleep/monotonic/monotonic_ns become
        the board's clock and the app's models take board time. Never in a host process: its
        own timeouts would stop."""
        if not self.virtual:
            return
        time.sleep = lambda s: self.advance(round(s * 1e6))
        time.monotonic_ns = lambda: self.read_us() * 1000
        time.monotonic = lambda: self.read_us() / 1e6
        host_import = builtins.__import__

        def import_hook(name, globals=None, locals=None, fromlist=(), level=0):  # noqa: A002
            m = host_import(name, globals, locals, fromlist, level)
            if name in ("pdinfer", "pdview"):
                from pipdream.sim.mpy import timed

                freq = self.board.get("freq", 125_000_000)
                if name == "pdinfer":
                    timed.hook_pdinfer(m, self.compute, self.board.get("cycles_per_mac") or {}, freq)
                else:
                    timed.hook_pdview(m, self.compute, self.board.get("app_costs_us") or {}, freq)
            return m

        builtins.__import__ = import_hook

    def read_us(self) -> int:
        """The clock as the app reads it: each read costs `quantum_us` of computing."""
        if self.virtual:
            self._v += self._quantum
            self._busy += self._quantum
        self.service()
        return self.now_us()

    def advance(self, us: int) -> None:
        """Let us microseconds pass, firing script steps at their time (real clock: sleep)."""
        if not self.virtual:
            _host_sleep(us / 1e6)
            self.service()
            return
        target = self._v + max(0, us)
        while self._si < len(self.script):
            due = self._step_due(self.script[self._si])
            if due > target:
                break
            self._move_to(due)
            self.service()
        self._move_to(target)
        self.service()

    def _move_to(self, t: int) -> None:
        if t > self._v:
            if self._computing:
                self._busy += t - self._v
            self._v = t

    def compute(self, us: int) -> None:
        """The board computes for us microseconds (a modelled generate()): not waiting."""
        self._computing = True
        try:
            self.advance(us)
        finally:
            self._computing = False

    def _bus_time(self, us: int) -> None:
        """A transfer on the bus: it takes its time (real clock: the host's own), and script
        steps due by then fire first."""
        if self.virtual:
            self.advance(us)
        else:
            self.service()

    def emit(self, kind: str, *fields: Any) -> None:
        if self._out is not None:
            self._out.write(" ".join([kind, str(self.now_us()), *map(str, fields)]) + "\n")

    # -- the script ------------------------------------------------------------------------------
    def _quiet_left(self, quiet_us: int) -> int:
        """Waiting (not computing) still needed without display traffic, as simboard counts it."""
        return quiet_us - (self._waited_us() - max(self._waited_at_bus, self._waited_at_base))

    def _step_due(self, s: list[Any]) -> int:
        start = self._base + s[0]
        if s[1] == "quiet":  # [dt, "quiet", quiet_us, max_us]
            return min(max(start, self.now_us() + self._quiet_left(s[2])), start + s[3])
        return start

    def service(self) -> None:
        if self.ended:
            raise SystemExit(0)
        while self._si < len(self.script):
            s = self.script[self._si]
            due = self._step_due(s)
            if due > self.now_us():
                return
            if s[1] == "quiet" and self._quiet_left(s[2]) > 0:
                self.end("timeout", f"the display did not go quiet for {s[2] // 1000} ms")
            self._base = due
            if s[1] == "repeat" and self._repeats.get(self._si, 0) < s[3]:
                self._repeats[self._si] = self._repeats.get(self._si, 0) + 1
                self._si -= s[2]
            else:
                self._repeats.pop(self._si, None)
                self._si += 1
                self.emit("step", self._si)
                self._step(s)
            # after the step's records (simboard._fire says why)
            self._waited_at_base = self._waited_us()

    def _step(self, s: list[Any]) -> None:
        op = s[1]
        if op == "level":
            self.levels[self.pin_id(s[2])] = s[3]
            self.emit("ext", s[2], "z" if s[3] is None else s[3])
        elif op in ("attach", "detach"):
            for d in self.devices.values():
                if d["name"] == s[2]:
                    d["present"] = op == "attach"
            self.emit(op, s[2])
        elif op == "mark":
            self.emit("mark", s[2])
        elif op == "end":
            self.end("script", s[2] if len(s) > 2 else "script done")

    def end(self, kind: str, reason: str) -> None:
        if not self.ended:
            self.ended = True
            self.emit("hostclock", self._host_reads - 1)  # reads since boot (virtual: none)
            self.emit("end", kind, reason)
        raise SystemExit(0)

    # -- what the stand-ins call ------------------------------------------------------------
    def i2c_write(self, scl: Any, sda: Any, addr: int, data: bytes, hz: int) -> None:
        self._bus_time((1 + len(data)) * 9 * 1_000_000 // hz)  # 9 clocks a byte, address included
        d = self.devices.get((scl, sda, addr))
        if d is None or not d["present"]:
            self.emit("nack", f"{scl}/{sda}", addr)
            raise OSError(ENODEV, "No such device")
        self.emit("i2c", d["name"], addr, data.hex() if data else "-")
        self._waited_at_bus = self._waited_us()

    def spi_write(self, sck: Any, data: bytes, hz: int) -> None:
        self._bus_time(len(data) * 8 * 1_000_000 // hz)
        for d in self.spi_devices:
            cs = d.get("cs")
            if not d["present"] or self.pin_id(d["sck"]) != sck:
                continue
            if cs is not None and self.outputs.get(self.pin_id(cs), 1) != 0:
                continue
            dc = self.outputs.get(self.pin_id(d["dc"]), 0)
            self.emit("spi", d["name"], dc, data.hex() if data else "-")
            self._waited_at_bus = self._waited_us()

    def set_output(self, pid: Any, level: int) -> None:
        old = self.outputs.get(pid)
        self.outputs[pid] = level
        for d in self.spi_devices:
            res = d.get("res")
            if res is not None and self.pin_id(res) == pid and level == 0 and old != 0:
                self.emit("reset", d["name"])

    def i2c_pulled_up(self, scl: Any, sda: Any) -> bool:
        """Whether both lines read high with the chip's pull-downs off: a module on the bus (an
        SSD1306 board carries its pull-ups) or a resistor the world names (world "pulls")."""
        self.service()
        if any(d["present"] for (c, s, _a), d in self.devices.items() if (c, s) == (scl, sda)):
            return True
        pulls = self.world.get("pulls") or {}
        return pulls.get(str(scl)) == 1 and pulls.get(str(sda)) == 1

    def i2c_present(self, scl: Any, sda: Any) -> list[int]:
        self.service()
        return sorted(a for (c, s, a), d in self.devices.items() if (c, s) == (scl, sda) and d["present"])

    def pin_level(self, pid: Any, pull: str | None) -> int:
        self.service()
        ext = self.levels.get(pid)
        if ext is not None:
            return ext
        return {"UP": 1, "DOWN": 0}.get(pull or "", 0)


_current: SimBoard | None = None


def current() -> SimBoard:
    """The process's simulated board (from the environment, on first use)."""
    global _current
    if _current is None:
        path = os.environ.get("PIPDREAM_SIM_WORLD")
        world = json.loads(Path(path).read_text()) if path else {"devices": [], "script": []}
        _current = SimBoard(world, os.environ.get("PIPDREAM_SIM_BUS"))
    return _current


# ------------------------------------------------------------------ board / microcontroller
class Pin:
    """microcontroller.Pin: one named pad; the same object for every alias."""

    def __init__(self, name: str, number: int) -> None:
        self.name = name
        self.number = number

    def __repr__(self) -> str:
        return f"board.{self.name}"


PICO_PINS = {f"GP{i}": Pin(f"GP{i}", i) for i in range(29)}
PICO_ALIASES = {"LED": "GP25", "SMPS_MODE": "GP23", "VBUS_SENSE": "GP24", "A0": "GP26", "A1": "GP27",
                "A2": "GP28"}


def board_attrs() -> dict[str, Pin]:
    attrs = dict(PICO_PINS)
    attrs.update({alias: PICO_PINS[name] for alias, name in PICO_ALIASES.items()})
    return attrs


# ------------------------------------------------------------------ busio
def _i2c_units_in_use() -> set[int]:
    """The I2C units the current board has enabled (a new board, as after a reset, has none)."""
    board = current()
    if not hasattr(board, "i2c_units_in_use"):
        board.i2c_units_in_use = set()
    return board.i2c_units_in_use


class I2C:
    """busio.I2C: lock, writeto/readfrom_into with start/end, scan; RP2040 rules, in the order of
    ports/raspberrypi/common-hal/busio/I2C.c, common_hal_busio_i2c_construct: SCL odd, SDA even,
    one unit ("Invalid pins"); the unit not already enabled ("I2C peripheral in use"); the
    frequency; then the pull-up check (CIRCUITPY_REQUIRE_I2C_PULLUPS, as on the Pico): both lines
    must read high with the internal pull-downs released, else the pins are reset and
    RuntimeError "No pull up found on SDA or SCL; check your wiring" (no display module)."""

    def __init__(self, scl: Pin, sda: Pin, *, frequency: int = 100_000, timeout: int = 255) -> None:
        same_unit = (scl.number // 2) % 2 == (sda.number // 2) % 2
        if not (scl.number % 2 == 1 and sda.number % 2 == 0 and same_unit):  # SCL odd, SDA even
            raise ValueError("Invalid pins")
        unit = (sda.number // 2) % 2
        if unit in _i2c_units_in_use():
            raise ValueError("I2C peripheral in use")
        if frequency > 1_000_000:
            raise ValueError("frequency must be 1000000 or less")
        self._board = current()
        if not self._board.i2c_pulled_up(scl.number, sda.number):
            raise RuntimeError("No pull up found on SDA or SCL; check your wiring")
        _i2c_units_in_use().add(unit)
        self._unit = unit
        self._scl, self._sda = scl.number, sda.number
        self.frequency = frequency
        self._locked = False
        self._deinit = False

    def try_lock(self) -> bool:
        if self._deinit or self._locked:
            return False
        self._locked = True
        return True

    def unlock(self) -> None:
        self._locked = False

    def _check(self) -> None:
        if self._deinit:
            raise ValueError("Object has been deinitialized and can no longer be used. Create a new object.")
        if not self._locked:
            raise RuntimeError("Function requires lock")

    def writeto(self, address: int, buffer, *, start: int = 0, end: int | None = None) -> None:
        self._check()
        data = bytes(memoryview(buffer)[start:end])
        self._board.i2c_write(self._scl, self._sda, address, data, self.frequency)

    def readfrom_into(self, address: int, buffer, *, start: int = 0, end: int | None = None) -> None:
        self._check()
        self._board.i2c_write(self._scl, self._sda, address, b"", self.frequency)  # address: ACK or ENODEV
        mv = memoryview(buffer)[start:end]
        mv[:] = bytes(len(mv))

    def writeto_then_readfrom(self, address: int, out_buffer, in_buffer, *, out_start: int = 0,
                              out_end: int | None = None, in_start: int = 0,
                              in_end: int | None = None) -> None:
        self.writeto(address, out_buffer, start=out_start, end=out_end)
        self.readfrom_into(address, in_buffer, start=in_start, end=in_end)

    def scan(self) -> list[int]:
        self._check()
        return self._board.i2c_present(self._scl, self._sda)

    def deinit(self) -> None:
        if not self._deinit:
            self._board.i2c_units_in_use.discard(self._unit)
        self._deinit = True

    def __enter__(self) -> I2C:
        return self

    def __exit__(self, *exc: object) -> None:
        self.deinit()


class SPI:
    """busio.SPI: lock, configure, write to the devices whose chip select is low."""

    def __init__(self, clock: Pin, MOSI: Pin | None = None, MISO: Pin | None = None,  # noqa: N803
                 half_duplex: bool = False) -> None:
        self._board = current()
        self._sck = clock.number
        self._locked = False
        self.frequency = 250_000

    def try_lock(self) -> bool:
        if self._locked:
            return False
        self._locked = True
        return True

    def unlock(self) -> None:
        self._locked = False

    def configure(self, *, baudrate: int = 100_000, polarity: int = 0, phase: int = 0, bits: int = 8) -> None:
        if not self._locked:
            raise RuntimeError("Function requires lock")
        self.frequency = baudrate

    def write(self, buffer, *, start: int = 0, end: int | None = None) -> None:
        if not self._locked:
            raise RuntimeError("Function requires lock")
        self._board.spi_write(self._sck, bytes(memoryview(buffer)[start:end]), self.frequency)

    def deinit(self) -> None:
        pass


# ------------------------------------------------------------------ digitalio
class Direction:
    INPUT = "INPUT"
    OUTPUT = "OUTPUT"


class Pull:
    UP = "UP"
    DOWN = "DOWN"


class DriveMode:
    PUSH_PULL = "PUSH_PULL"
    OPEN_DRAIN = "OPEN_DRAIN"


class DigitalInOut:
    def __init__(self, pin: Pin) -> None:
        self._board = current()
        self._pin = pin
        self.direction = Direction.INPUT
        self.pull: str | None = None
        self._out = False

    def switch_to_input(self, pull: str | None = None) -> None:
        self.direction = Direction.INPUT
        self.pull = pull

    def switch_to_output(self, value: bool = False, drive_mode: str = DriveMode.PUSH_PULL) -> None:
        self.direction = Direction.OUTPUT
        self.pull = None
        self._out = bool(value)
        self._board.set_output(self._pin.number, int(self._out))

    @property
    def value(self) -> bool:
        if self.direction == Direction.OUTPUT:
            return self._out
        return bool(self._board.pin_level(self._pin.number, self.pull))

    @value.setter
    def value(self, v: bool) -> None:
        if self.direction != Direction.OUTPUT:
            raise AttributeError("Cannot set value when direction is input.")
        self._out = bool(v)
        self._board.set_output(self._pin.number, int(self._out))

    def deinit(self) -> None:
        pass

    def __enter__(self) -> DigitalInOut:
        return self

    def __exit__(self, *exc: object) -> None:
        self.deinit()
