"""The host end of simboard's record stream: bus transactions in, panel frames out.

Each record is one line `kind t_us field...` (docs/simulation.md lists them). `BoardView`
feeds the display transactions to one SSD1306 emulator per display and cuts the stream into
frames: a frame is complete when the controller's address pointer wraps back to the start of
its window after data (what a driver's show() does in horizontal or vertical addressing), or,
for drivers that write page by page, when the display has been idle for FRAME_GAP_US. A window
completed within MERGE_US of the previous frame belongs to it (an app that sends the die and
the face number as two windows draws one frame): that frame is updated, and `on_frame` is
called again with the same Frame object.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from pipdream.sim.ssd1306 import MODE_PAGE, SSD1306
from pipdream.sim.world import World

FRAME_GAP_US = 2000
MERGE_US = 5000  # shorter than one 64x64 window at 400 kHz I2C (11.5 ms): frames never merge


@dataclass
class Record:
    kind: str
    t_us: int
    fields: list[str]

    @classmethod
    def parse(cls, line: str) -> Record:
        parts = line.split(" ")
        if len(parts) < 2 or not parts[1].isdigit():
            raise ValueError(f"bad simboard record: {line!r}")
        return cls(parts[0], int(parts[1]), parts[2:])


@dataclass
class Frame:
    display: str
    t_us: int  # when its last byte was on the bus
    panel: np.ndarray  # (h, w) bool
    bus_bytes: int  # I2C bytes (address + control + payload) or SPI bytes since the previous frame
    data_bytes: int  # GDDRAM bytes since the previous frame
    windows: int = 1  # windows (show() calls) merged into this frame


@dataclass
class BoardView:
    """Everything the host sees of a running simulated board."""

    world: World
    on_frame: Callable[[Frame], None] | None = None
    on_record: Callable[[Record], None] | None = None
    displays: dict[str, SSD1306] = field(default_factory=dict)
    frames: list[Frame] = field(default_factory=list)
    records: int = 0
    nacks: int = 0
    marks: list[tuple[int, str]] = field(default_factory=list)
    ended: str | None = None  # why the board stopped
    end_kind: str | None = None  # script, timeout, limit, watchdog or reset
    last_t_us: int = 0
    step: int = 0  # the script step the board is at (from its beat records)
    last_record: str | None = None  # the last record other than a beat, for messages
    host_clock_reads: int | None = None  # reads of the host's clock (the virtual clock makes none)

    def __post_init__(self) -> None:
        for d in self.world.displays:
            self.displays[d.name] = SSD1306(d.width, d.height, external_vcc=d.external_vcc)
        self._pending: dict[str, tuple[int, int, int]] = {}  # name -> (t, bus, data bytes) at last frame
        self._dirty: dict[str, int] = {}  # name -> time of last data write not yet in a frame
        self._last_frame: dict[str, Frame] = {}

    def feed_line(self, line: str) -> None:
        line = line.rstrip("\n")
        if not line:
            return
        self.feed(Record.parse(line))

    def feed(self, rec: Record) -> None:
        self.records += 1
        if rec.kind not in ("beat", "step"):
            self.last_record = f"{rec.kind} at {rec.t_us / 1e6:.3f} s {' '.join(rec.fields)[:60]}".rstrip()
        self._flush_idle(rec.t_us)
        self.last_t_us = rec.t_us
        k, f = rec.kind, rec.fields
        if k == "i2c" and f[0] in self.displays:
            self._display_write(f[0], rec.t_us, lambda o: o.write(_unhex(f[2])))
        elif k == "spi" and f[0] in self.displays:
            self._display_write(f[0], rec.t_us, lambda o: o.spi_write(int(f[1]), _unhex(f[2])))
        elif k == "reset" and f[0] in self.displays:
            self.displays[f[0]].reset()
        elif k == "nack":
            self.nacks += 1
        elif k == "mark":
            self.marks.append((rec.t_us, " ".join(f)))
        elif k in ("beat", "step"):
            self.step = int(f[0])
        elif k == "hostclock":
            self.host_clock_reads = int(f[0])
        elif k == "end":
            self.finish()
            self.end_kind = f[0] if f else "?"
            self.ended = " ".join(f[1:])
        if self.on_record is not None:
            self.on_record(rec)

    def finish(self) -> None:
        """End of stream: whatever was drawn since the last frame is a frame."""
        for name in list(self._dirty):
            self._frame(name, self._dirty[name])

    def _display_write(self, name: str, t_us: int, write: Callable[[SSD1306], None]) -> None:
        oled = self.displays[name]
        before = oled.traffic.data_bytes
        write(oled)
        if oled.traffic.data_bytes == before:
            return
        self._dirty[name] = t_us
        r = oled.reg
        if r.mode != MODE_PAGE and (r.col, r.page) == (r.col_start, r.page_start):
            self._frame(name, t_us)

    def _flush_idle(self, t_us: int) -> None:
        for name, t in list(self._dirty.items()):
            if t_us - t >= FRAME_GAP_US:
                self._frame(name, t)

    def _frame(self, name: str, t_us: int) -> None:
        self._dirty.pop(name, None)
        oled = self.displays[name]
        t = oled.traffic
        t0, bus0, data0 = self._pending.get(name, (-MERGE_US, 0, 0))
        bus = t.i2c_bytes + t.spi_bytes
        last = self._last_frame.get(name)
        if last is not None and t_us - t0 < MERGE_US:
            last.t_us = t_us
            last.panel = oled.panel()
            last.bus_bytes += bus - bus0
            last.data_bytes += t.data_bytes - data0
            last.windows += 1
            frame = last
        else:
            frame = Frame(name, t_us, oled.panel(), bus - bus0, t.data_bytes - data0)
            self.frames.append(frame)
            self._last_frame[name] = frame
        self._pending[name] = (t_us, bus, t.data_bytes)
        if self.on_frame is not None:
            self.on_frame(frame)


def _unhex(s: str) -> bytes:
    return b"" if s == "-" else bytes.fromhex(s)
