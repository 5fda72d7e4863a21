"""The Pico's display by DMA: the rp2 stand-in's DMA and I2C blocks, device/pdi2c_dma.py, the roll.

The simulated Pico (host/pipdream/sim/mpy: rp2hw.py behind machine.mem32 and rp2.py) models
the RP2040's DMA channels and I2C blocks as the datasheet gives them; pdi2c_dma sends the die
window through them. Checked here on the real MicroPython unix runtime: the stand-in's registers
and bus timing, the driver's bytes against the blocking driver's, its waits, errors and
fallbacks, and the app's roll, which must draw the same frames by DMA as by the CPU.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from pipdream.sim.compute import app_costs_us, cycles_per_mac
from pipdream.sim.runner import run_board
from pipdream.sim.world import Display, Script, World

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_device_endurance import SHORT_TUMBLE, run_app  # noqa: E402

BYTE_US = 9 * 1_000_000 / 400_000  # one byte on the bus at 400 kHz, 9 clocks
WINDOW = [0x00, 0x21, 32, 95, 0x22, 0, 7]  # ssd1306 window command: columns 32..95, pages 0..7
SETUP = """
import time, machine, rp2
from array import array
from machine import mem32
i2c = machine.I2C(0, freq=400000)
I2C0 = 0x40044000
IC_TAR, IC_DATA_CMD, IC_RAW, IC_CLR_TX_ABRT, IC_ENABLE, IC_STATUS = 0x04, 0x10, 0x34, 0x54, 0x6C, 0x70
IC_TX_ABRT_SOURCE, IC_DMA_CR, IC_DMA_TDLR = 0x80, 0x88, 0x8C
def target(addr):  # IC_TAR takes a write only while the block is disabled (reset value 0x55)
    mem32[I2C0 + IC_ENABLE] = 0
    mem32[I2C0 + IC_TAR] = addr
    mem32[I2C0 + IC_ENABLE] = 1
target(0x3C)
def words(txns):
    w = array("H")
    for t in txns:
        for b in t:
            w.append(b)
        w[len(w) - 1] |= 0x200  # STOP on the transaction's last byte
    return w
"""


def run(code: str, world: World | None = None, ends: str = "reset", records: list | None = None) -> list[str]:
    """MicroPython code on the simulated Pico (the display at 0x3C), then machine.reset()."""
    world = world or World(clock="virtual", displays=[Display()])
    src = SETUP + textwrap.dedent(code) + "\nimport machine\nmachine.reset()\n"
    keep = None if records is None else (lambda r: records.append((r.kind, r.t_us, r.fields)))
    result = run_board(world, code=src, check=False, on_record=keep)
    assert result.end_kind == ends, result.console_text() + f"\nended: {result.ended}"
    return result.console


def bus(records: list) -> list[tuple]:
    """The transactions on the bus: (kind, address, data hex) of every i2c and nack record."""
    return [(k, f[-2], f[-1]) for k, _, f in records if k in ("i2c", "nack")]


# --- the stand-in: rp2.DMA and the I2C block --------------------------------------------------------

def test_rp2_dma_has_the_ports_api_defaults_and_errors():
    out = run("""
        d = rp2.DMA()
        print(d.channel, hex(d.pack_ctrl()), d.unpack_ctrl(d.pack_ctrl(size=1, treq_sel=32))["treq_sel"])
        print(hex(d.pack_ctrl(default=0, enable=1, chain_to=5, busy=1)))
        for bad in ({"size": 4}, {"nonsense": 1}):
            try:
                d.pack_ctrl(**bad)
            except (ValueError, TypeError) as e:
                print(type(e).__name__)
        d.config(read=0x20001000, write=0x40044010, count=3, ctrl=d.pack_ctrl(enable=0))
        print(hex(d.read), hex(d.write), d.count, d.active())
        more = [rp2.DMA() for _ in range(11)]
        try:
            rp2.DMA()
        except OSError as e:
            print("full", e.errno)
        more[3].close()
        print(rp2.DMA().channel)
        d.close()
        try:
            d.active()
        except ValueError as e:
            print(e)
    """)
    # the port's default: enabled, word transfers, both addresses incremented, unpaced, quiet
    assert out == ["0 0x3f8039 32", "0x2801", "ValueError", "TypeError",
                   "0x20001000 0x40044010 3 False", "full 16", "4", "channel closed"]


def test_a_dma_channel_paced_by_i2c0_sends_its_words_as_transactions_on_the_bus_clock():
    records: list = []
    out = run("""
        print(hex(mem32[I2C0 + IC_DMA_CR]), mem32[I2C0 + IC_DMA_TDLR], hex(mem32[I2C0 + IC_STATUS]))
        w = words([WINDOW, [0x40] + list(range(1, 25))])
        d = rp2.DMA()
        ctrl = d.pack_ctrl(size=1, inc_write=False, treq_sel=32)
        t0 = time.ticks_us()
        d.config(read=w, write=I2C0 + IC_DATA_CMD, count=len(w), ctrl=ctrl, trigger=True)
        print(d.active(), hex(mem32[I2C0 + IC_STATUS] & 0x21))
        while d.active():
            pass
        t_dma = time.ticks_diff(time.ticks_us(), t0)
        while mem32[I2C0 + IC_STATUS] & 1:
            pass
        t_bus = time.ticks_diff(time.ticks_us(), t0)
        print(t_dma, t_bus, hex(mem32[I2C0 + IC_STATUS]), hex(mem32[I2C0 + IC_RAW] & 0x250), d.count)
    """.replace("WINDOW", str(WINDOW)), records=records)
    dma_cr, tdlr, idle = out[0].split()
    assert (dma_cr, tdlr, idle) == ("0x3", "0", "0x6")  # as pico-sdk's i2c_init leaves it: idle, TFE
    assert out[1] == "True 0x21"  # busy: ACTIVITY and MST_ACTIVITY
    t_dma, t_bus, status, raw, left = out[2].split()
    # 8 + 26 bytes (an address byte per transaction) at 9 clocks a byte
    assert abs(int(t_bus) - 34 * BYTE_US) <= 6
    assert abs(int(t_bus) - int(t_dma) - 2 * BYTE_US) <= 6  # TDLR 0: the channel ends 2 bytes early
    assert (status, raw, left) == ("0x6", "0x210", "0")  # idle; STOP_DET, TX_EMPTY
    data = bytes([0x40, *range(1, 25)])
    assert bus(records) == [("i2c", "60", bytes(WINDOW).hex()), ("i2c", "60", data.hex())]


def test_byte_wide_dma_writes_land_in_the_command_bits_as_on_the_bus_fabric():
    # A byte written to IC_DATA_CMD is replicated across the 32-bit bus: its bit 1 lands in STOP,
    # bit 2 in RESTART (bit 0 in CMD: a read). Halfwords do not have the problem (the driver's).
    records: list = []
    run("""
        src = bytearray([0x40, 0x12, 0x20, 0x30, 0x44, 0x52])
        d = rp2.DMA()
        d.config(read=src, write=I2C0 + IC_DATA_CMD, count=len(src),
                 ctrl=d.pack_ctrl(size=0, inc_write=False, treq_sel=32), trigger=True)
        while d.active() or mem32[I2C0 + IC_STATUS] & 1:
            pass
    """, records=records)
    assert bus(records) == [("i2c", "60", "4012"), ("i2c", "60", "2030"), ("i2c", "60", "4452")]


def test_a_nacked_address_aborts_and_drops_the_next_transfer_until_tx_abrt_is_cleared():
    records: list = []
    out = run("""
        w = words([[0x00, 0xAF], [0x40, 1, 2, 3]])
        d = rp2.DMA()
        ctrl = d.pack_ctrl(size=1, inc_write=False, treq_sel=32)
        target(0x3D)  # nobody there
        t0 = time.ticks_us()
        d.config(read=w, write=I2C0 + IC_DATA_CMD, count=len(w), ctrl=ctrl, trigger=True)
        while d.active() or mem32[I2C0 + IC_STATUS] & 1:
            pass
        print(time.ticks_diff(time.ticks_us(), t0), hex(mem32[I2C0 + IC_RAW] & 0x40),
              hex(mem32[I2C0 + IC_TX_ABRT_SOURCE] & 0xFF))
        d.config(read=w, count=len(w), trigger=True)  # dropped: the FIFO stays flushed
        print(d.active(), len([0 for _ in range(3) if mem32[I2C0 + IC_STATUS] & 1]))
        mem32[I2C0 + IC_CLR_TX_ABRT]
        target(0x3C)
        d.config(read=w, count=len(w), trigger=True)
        while d.active() or mem32[I2C0 + IC_STATUS] & 1:
            pass
        print(hex(mem32[I2C0 + IC_RAW] & 0x40))
    """, records=records)
    t, abrt, source = out[0].split()
    assert int(t) <= 2 * BYTE_US and (abrt, source) == ("0x40", "0x1")  # ABRT_7B_ADDR_NOACK
    assert out[1:] == ["False 0", "0x0"]
    assert bus(records) == [("nack", "5/4", "61"), ("i2c", "60", "00af"), ("i2c", "60", "40010203")]


@pytest.mark.parametrize("what, code", [
    ("a blocking transfer", "i2c.writeto(0x3C, b'\\x00\\xaf')"),
    ("IC_ENABLE = 0", "mem32[I2C0 + IC_ENABLE] = 0"),
    ("the source changed", "w[150] = 0x55\ntime.sleep_ms(20)"),  # not yet read: a race
])
def test_what_the_rp2040_would_garble_mid_transfer_stops_the_board_with_a_fault(what, code):
    world = World(clock="virtual", displays=[Display()], script=Script().wait(1000).end())
    result = run_board(world, code=SETUP + textwrap.dedent("""
        w = words([[0x40] + list(range(1, 200))])
        d = rp2.DMA()
        d.config(read=w, write=I2C0 + IC_DATA_CMD, count=len(w),
                 ctrl=d.pack_ctrl(size=1, inc_write=False, treq_sel=32), trigger=True)
        time.sleep_ms(1)
    """) + code + "\nprint('not stopped')\n", check=False)
    assert result.end_kind == "fault", result.console_text()
    assert "not stopped" not in result.console
    said = "changed" if what == "the source changed" else "while a DMA transfer is on its bus"
    assert said in result.ended


def test_ic_tar_takes_a_write_only_while_the_block_is_disabled_and_unmodelled_registers_raise():
    out = run("""
        mem32[I2C0 + IC_TAR] = 0x3D
        print(hex(mem32[I2C0 + IC_TAR]))
        try:
            i2c.writeto(0x3E, b"\\x00\\xaf")  # the port re-targets the block for every transfer
        except OSError:
            print(hex(mem32[I2C0 + IC_TAR]))
        mem32[I2C0 + 0x3000 + IC_ENABLE] = 1  # atomic alias +0x3000: clear these bits
        mem32[I2C0 + IC_TAR] = 0x3D
        print(hex(mem32[I2C0 + IC_TAR]), mem32[I2C0 + IC_ENABLE])
        for bad in ("mem32[0x40054000]", "mem32[I2C0 + IC_DATA_CMD] = 1", "machine.mem8[I2C0]"):
            try:
                exec(bad)
            except ValueError as e:
                print("not simulated" in str(e))
    """)
    assert out == ["0x3c", "0x3e", "0x3d 0", "True", "True", "True"]


# --- device/pdi2c_dma.py ----------------------------------------------------------------------------

DEVICE_SETUP = f"""
import sys, random, micropython
sys.path[:0] = [{str(ROOT / "device")!r}, {str(ROOT / "boards")!r}]
import board_pico, pdi2c_dma, ssd1306
"""


def run_device(code: str, world: World | None = None, records: list | None = None) -> list[str]:
    world = world or World(clock="virtual", displays=[Display()], script=Script().wait(60_000).end())
    keep = None if records is None else (lambda r: records.append((r.kind, r.t_us, r.fields)))
    src = DEVICE_SETUP + textwrap.dedent(code) + "\nimport machine\nmachine.reset()\n"
    result = run_board(world, code=src, check=False, on_record=keep)
    assert result.end_kind == "reset", result.console_text() + f"\nended: {result.ended}"
    return result.console


def test_windows_by_dma_put_the_same_bytes_on_the_bus_as_the_blocking_driver():
    streams = {}
    for dma in (False, True):
        records: list = []
        out = run_device("""
            board_pico.DISPLAY_DMA = FLAG
            b = board_pico.build()
            d = b.open_display()
            print(type(d).__name__, getattr(d, "transport", ""))
            random.seed(7)
            wins = [d.full, d.window(32, 0, 64, 64), d.window(100, 16, 10, 16), d.window(0, 56, 128, 8)]
            for k in range(12):
                for i in range(len(d.buffer)):
                    d.buffer[i] = random.getrandbits(8)
                d.show_window(wins[k % len(wins)])
            d.contrast(7)
        """.replace("FLAG", str(dma)), records=records)
        assert out[-1] == ("SSD1306_I2C , windows by DMA (channel 0)" if dma else "SSD1306_I2C ")
        streams[dma] = bus(records)
    assert len(streams[True]) == 2 + 2 * 12 + 2 and streams[True] == streams[False]


def test_show_returns_at_once_allocates_nothing_and_the_next_use_of_the_bus_waits():
    records: list = []
    out = run_device("""
        b = board_pico.build()
        d = b.open_display()
        win = d.window(32, 0, 64, 64)
        d.show_window(win)
        def frame():  # a function: new globals would grow a dict
            micropython.heap_lock()
            t0 = time.ticks_us()
            d.show_window(win)
            t1 = time.ticks_us()
            micropython.heap_unlock()
            return time.ticks_diff(t1, t0)
        import time
        time.sleep_ms(20)
        t_show = frame()
        t0 = time.ticks_us()
        d.contrast(200)  # commands: after the window is on the glass
        print(t_show, time.ticks_diff(time.ticks_us(), t0))
    """, records=records)
    t_show, t_cmd = map(int, out[-1].split())
    assert t_show < 50  # register writes only (each costs the board a clock quantum here)
    assert 0 <= t_cmd - 525 * BYTE_US < 60  # the window's 522 bytes, its own 3 + 1 (looked at every 20 us)
    kinds = [(k, f[-1][:2]) for k, _, f in records if k == "i2c"]
    assert kinds[-3:] == [("i2c", "00"), ("i2c", "40"), ("i2c", "00")]


def test_a_display_unplugged_under_a_dma_window_is_eio_at_the_next_use_and_recovers():
    script = Script().wait(30).detach("oled").wait(30).attach("oled").wait(60_000).end()
    out = run_device("""
        import time
        b = board_pico.build()
        d = b.open_display()
        win = d.window(32, 0, 64, 64)
        time.sleep_ms(35)  # unplugged now
        d.show_window(win)  # started: its address is not acknowledged
        for k in range(2):  # the NACK is seen at the next use (cleared), that window is NACKed too
            try:
                d.show_window(win)
                print("sent")
            except OSError as e:
                print("OSError", e.errno)
        time.sleep_ms(30)  # plugged in again: a new display forgets the old one's last window
        d = b.open_display()
        d.show_window(win)
        d.contrast(1)
        print("back")
    """, World(clock="virtual", displays=[Display()], script=script))
    assert out[-3:] == ["OSError 5", "sent", "back"]


@pytest.mark.parametrize("setup, why", [
    ("sys.modules['rp2'] = type('rp2', (), {})", "no rp2.DMA (MicroPython before 1.22)"),
    ("board_pico.I2C_ID = None", "software I2C"),
    ("cs = [rp2.DMA() for _ in range(12)]", "no free DMA channel"),
])
def test_without_a_dma_channel_the_display_is_the_blocking_one_and_says_why(setup, why):
    out = run_device("""
        import rp2
        SETUP
        b = board_pico.build()
        d = b.open_display()
        print(b.dma_why, type(d) is ssd1306.SSD1306_I2C, getattr(d, "transport", ""))
    """.replace("SETUP", setup))
    assert out[-1] == f"{why} True , windows by the CPU: {why}"


# --- the app's roll -----------------------------------------------------------------------------------

def test_the_simulated_picos_roll_sends_by_dma_and_draws_the_frames_of_the_blocking_display(tmp_path):
    runs = {}
    for dma in (False, True):
        code = f"import pdapp, pdboard\npdboard.DISPLAY_DMA = {dma}\npdapp.main()\n"
        runs[dma] = run_app(tmp_path / str(dma), 3, {"BACKEND": "natmod", **SHORT_TUMBLE}, code=code)
    said = [line for line in runs[True].console if "display found" in line]
    assert said == ["pipdream: display found at 0x3C, windows by DMA (channel 0)"]
    said = [line for line in runs[False].console if "display found" in line]
    assert said == ["pipdream: display found at 0x3C"]
    blocking, dma = runs[False].frames, runs[True].frames
    assert len(dma) == len(blocking) > 12
    assert all(np.array_equal(a.panel, b.panel) and a.bus_bytes == b.bus_bytes for a, b in zip(blocking, dma))
    # inside a roll (FRAME_MS 0): frames follow each other every inference (+ the bus by the CPU)
    gaps = {k: [b.t_us - a.t_us for a, b in zip(f, f[1:]) if b.bus_bytes == 522 and a.bus_bytes == 522]
            for k, f in ((False, blocking), (True, dma))}
    assert gaps[False] and gaps[True]
    # the inference as the virtual clock charges it: the default model's MACs on both cores, and the
    # app's drawing, flush and frame loop as the real firmware measured them (the natmod draws)
    costs = app_costs_us()
    infer_us = 955_488 * cycles_per_mac()["natmod_full_x2"] / 125 \
        + costs["window"]["natmod"] + costs["frame"] + costs["flush"]  # 125 MHz
    assert all(abs(g - infer_us - 522 * BYTE_US) < 200 for g in gaps[False]), (infer_us, gaps[False])
    assert all(abs(g - infer_us) < 200 for g in gaps[True]), (infer_us, gaps[True])


def test_the_pico_board_module_asks_for_the_dma_display():
    assert "\nDISPLAY_DMA = True" in (ROOT / "boards" / "board_pico.py").read_text()
