"""Which board the emulator plays: banner, heap, flash size and the simulated world around it.

The REPL, heap and flash are the board's; the interpreter is the unix port, so
sys.platform is "linux" and native code is x64 (`pipdream deploy --arch x64`).
The world (an SSD1306 on the board module's I2C pins, the button, the clock)
is the simulation's (pipdream.sim): its `machine`, `time` and `os` stand-ins
are the emulated board's built-in modules.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from functools import lru_cache

from pipdream.deploy import board_module
from pipdream.mpremote_board.child import BoardSupport, micropython_binary

DEFAULT_HEAP = 192 * 1024
# What board_runner and board_fs hold after boot (10.2 KiB measured with gc.mem_alloc());
# the firmware's REPL lives in ROM, so the app gets the board's heap.
RUNNER_HEAP = 10 * 1024


@dataclass
class EmulatedBoard:
    name: str
    machine: str
    heap: int  # the board's heap plus what the stand-ins and the runner use
    flash: int
    support: BoardSupport = field(default_factory=BoardSupport)
    world: object | None = None  # pipdream.sim.world.World

    def banner(self) -> str:
        return f"{_version_banner()}; {self.machine}\r\nType \"help()\" for more information.\r\n"


@lru_cache(maxsize=1)
def _version_banner() -> str:
    """"MicroPython <version> on <date>" of the unix port that runs the code."""
    try:
        out = subprocess.run([micropython_binary(), "--version"], capture_output=True, text=True,
                             timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        out = ""
    m = re.match(r"[^;]*?(MicroPython \S+ on [^;\s]+)", out.strip())  # the date, without its ";"
    return m.group(1) if m else "MicroPython"


def press_script(pin: int | str, at_ms: list[float], active: int = 0, hold_ms: float = 120):
    """A sim Script pressing the button at each time (ms after boot)."""
    from pipdream.sim.world import Script

    s = Script()
    t = 0.0
    for when in sorted(at_ms):
        s.wait(max(0.0, when - t)).press(pin, hold_ms=hold_ms, active=active)
        t = when + hold_ms
    return s


def emulated_board(name: str = "pico", *, presses: list[float] = (), clock: str = "real",
                   seed: int | None = None, bus_fd: int | None = None, world_path: str | None = None,
                   simulate: bool = True) -> EmulatedBoard:
    """The board `name` (boards/board_<name>.py) as the emulator plays it.

    With simulate, the sim's stand-ins are built in and the world has the board
    module's display and button; `bus_fd` receives the sim's record stream."""
    mod = board_module(name)
    if mod.circuitpython:
        raise ValueError(f"{name} runs CircuitPython; the emulator plays MicroPython boards only")
    # what the firmware prints after "MicroPython vX.Y.Z on DATE; ", and its littlefs size
    machine = mod.constants.get("MACHINE", f"{name} (emulated)")
    flash = mod.constants.get("FLASH_FS_BYTES", 1408 * 1024)
    if not simulate:
        return EmulatedBoard(name, machine, DEFAULT_HEAP + RUNNER_HEAP, flash)
    from pipdream.sim import runner as sim_runner
    from pipdream.sim.world import BOARDS, Display, World

    c = mod.constants
    display = Display(name="oled", width=c.get("DISPLAY_WIDTH", 128), height=c.get("DISPLAY_HEIGHT", 64),
                      addr=(c.get("DISPLAY_ADDRS") or (0x3C,))[0], scl=c.get("I2C_SCL", 5),
                      sda=c.get("I2C_SDA", 4))
    script = press_script(c.get("BUTTON_PIN", 15), list(presses), active=c.get("BUTTON_ACTIVE", 0))
    world = World(board=name if name in BOARDS else "pico", displays=[display], script=script, clock=clock,
                  seed=seed, limit_s=30 * 24 * 3600.0)
    heap = world.heap_bytes() + sim_runner.STANDIN_HEAP + RUNNER_HEAP
    env = {}
    if world_path is not None:
        env["PIPDREAM_SIM_WORLD"] = world_path
    if bus_fd is not None:
        env["PIPDREAM_SIM_BUS"] = f"/dev/fd/{bus_fd}"
    support = BoardSupport(sim_runner.MPY_DIR, ("machine", "time", "os"), env,
                           pass_fds=(bus_fd,) if bus_fd is not None else ())
    return EmulatedBoard(name, machine, heap, flash, support, world)
