"""The stand-ins do what the ports' C code does, one row of docs/simulation.md's table each
("Stand-ins and the ports' source"), on the real MicroPython unix runtime (CircuitPython's on
CPython): what the app relies on, per port, and what the app does with it."""

from __future__ import annotations

import textwrap

import pytest
from pipdream.boards import board_module
from pipdream.sim import stage
from pipdream.sim.runner import run_board
from pipdream.sim.world import Display, Script, World
from support.device import DEVICE

RAM = {"name": "eeprom", "kind": "ram", "bus": "i2c", "scl": 5, "sda": 4, "addr": 0x50}
ESP32_RAM = dict(RAM, scl=22, sda=21)


def board(code: str, world: World | None = None):
    """MicroPython code (device/ on its path) on the simulated board (default: a Pico)."""
    world = world or World(clock="virtual")
    src = textwrap.dedent(code) + "\nimport machine\nmachine.reset()\n"
    result = run_board(world, code=src, check=False, extra_path=(DEVICE,))
    assert result.end_kind == "reset", result.console_text()
    return result


def run(code: str, world: World | None = None) -> list[str]:
    """Its console lines."""
    return board(code, world).console


# ------------------------------------------------------------------ Pin.irq per port
PIN_IRQ = """
    import time, micropython
    from machine import Pin
    seen = []
    def handler(p):
        try:
            seen.append([p.value()])  # allocates: fine when scheduled, a MemoryError in a hard IRQ
        except MemoryError:
            seen_hard[0] += 1
    seen_hard = [0]
    pin = Pin(4, Pin.IN, Pin.PULL_UP)
    try:
        pin.irq(handler=handler, trigger=Pin.IRQ_FALLING, hard=True)
        print("hard= accepted")
    except TypeError as e:
        print("TypeError:", e)
        pin.irq(handler=handler, trigger=Pin.IRQ_FALLING)
    time.sleep_ms(20)
    print(len(seen), seen_hard[0])
"""


@pytest.mark.parametrize("board", ["esp32", "esp32c3"])
def test_esp32_pin_irq_takes_no_hard_argument_and_always_schedules(board):
    """ports/esp32/machine_pin.c, machine_pin_irq: handler, trigger, wake; machine_pin_isr_handler
    calls mp_sched_schedule, so the handler runs later, outside the interrupt, and may allocate."""
    out = run(PIN_IRQ, World(board=board, clock="virtual", script=Script().wait(5).level(4, 0)))
    assert out == ["TypeError: extra keyword arguments given", "1 0"]


def test_rp2_pin_irq_takes_hard_and_runs_the_handler_in_the_interrupt():
    """ports/rp2/machine_pin.c, machine_pin_irq: handler, trigger, hard; a hard handler runs
    in the interrupt with the heap locked (shared/runtime/mpirq.c, mp_irq_handler)."""
    out = run(PIN_IRQ, World(clock="virtual", script=Script().wait(5).level(4, 0)))
    assert out == ["hard= accepted", "0 1"]


# ------------------------------------------------------------------ I2C transfers and allocation
WRITEVTO = """
    import micropython
    from machine import I2C, SoftI2C, Pin
    scl, sda = Pin(SCL), Pin(SDA)
    for name, bus in (("I2C", I2C(0, scl=scl, sda=sda)), ("SoftI2C", SoftI2C(scl=scl, sda=sda))):
        for vector in ((b"\\x10", b"ab"), (b"", b"\\x10ab"), (b"\\x10ab",)):
            micropython.heap_lock()
            try:
                bus.writevto(0x50, vector)
                r = "ok"
            except MemoryError:
                r = "MemoryError"
            micropython.heap_unlock()
            print(name, len(vector), r)
        micropython.heap_lock()
        bus.writeto(0x50, b"\\x10ab")
        micropython.heap_unlock()
"""


@pytest.mark.parametrize("board, ram", [("pico", RAM), ("esp32", ESP32_RAM)])
def test_hardware_i2c_joins_the_parts_of_writevto_into_a_buffer_it_allocates(board, ram):
    """extmod/machine_i2c.c: machine_i2c_writevto skips empty buffers; the hardware I2C's
    mp_machine_i2c_transfer_adaptor joins two or more with m_new (a MemoryError under
    heap_lock); SoftI2C (mp_machine_soft_i2c_transfer) walks them; writeto of one buffer
    allocates nothing on either."""
    code = WRITEVTO.replace("SCL", str(ram["scl"])).replace("SDA", str(ram["sda"]))
    out = run(code, World(board=board, clock="virtual", other_devices=[ram]))
    assert out == ["I2C 2 MemoryError", "I2C 2 ok", "I2C 1 ok",
                   "SoftI2C 2 ok", "SoftI2C 2 ok", "SoftI2C 1 ok"]


@pytest.mark.parametrize("name, scl, sda", [("pico", 5, 4), ("esp32", 22, 21), ("esp32c3", 5, 4)])
def test_the_ssd1306_driver_sends_its_windows_without_allocating_on_hardware_i2c(name, scl, sda):
    result = board(f"""
        import micropython, ssd1306
        from machine import I2C, Pin
        oled = ssd1306.SSD1306_I2C(128, 64, I2C(0, scl=Pin({scl}), sda=Pin({sda})))
        die, num = oled.window(32, 0, 64, 64), oled.window(104, 24, 6, 16)
        oled.fill_rect(40, 8, 20, 30, 1)
        oled.text("5", 104, 24, 1)
        micropython.heap_lock()
        oled.show_window(die)
        oled.show_window(num)
        oled.show()
        micropython.heap_unlock()
        print("sent")
    """, World(board=name, clock="virtual", displays=[Display(scl=scl, sda=sda)]))
    assert result.console == ["sent"]
    panel = result.frames[-1].panel  # what the emulated SSD1306 shows
    assert panel[8:38, 40:60].all() and not panel[:8].any() and not panel[40:, :100].any()


@pytest.mark.parametrize("name, how", [("pico", "IRQ (hard)"), ("esp32", "IRQ (scheduled)"),
                                       ("esp32c3", "IRQ (scheduled)")])
def test_the_app_says_how_its_button_interrupts_on_each_port(tmp_path, name, how):
    root = stage.stage_root(tmp_path / "root", board=name, settings={"BACKEND": "python"})
    result = run_board(stage.board_world(name, Script().wait(50).end()), script=root / "main.py",
                       root=root, check=False)
    (line,) = [x for x in result.console if x.startswith("pipdream: board ")]
    assert line.endswith(", button " + how), line


# ------------------------------------------------------------------ DMA to I2C
def test_a_dma_wait_that_times_out_leaves_no_stale_abort_for_the_next_blocking_write():
    """pico-sdk's i2c_write_blocking_internal takes an uncleared IC_TX_ABRT_SOURCE for its own
    abort (one EIO from ports/rp2/machine_i2c.c); pdi2c_dma clears it after a timed-out wait."""
    pico = {k: v for k, v in board_module("pico").constants.items() if k.startswith(("I2C_", "DREQ_"))}
    out = run("""
        import pdi2c_dma
        from machine import I2C, Pin
        i2c = I2C(0, scl=Pin(5), sda=Pin(4), freq=400000)
        cfg = CFG
        bus, why = pdi2c_dma.dma_bus(i2c, cfg, 64)
        bus.limit_us = 0  # a transfer that does not end in time: the wait gives up mid-transfer
        bus.show(0x3D, b"\\x00\\xaf", [b"\\x40", b"ab"])  # nobody at 0x3D: the address is NACKed
        try:
            bus.wait()
        except OSError as e:
            print("wait", e.errno)
        for _ in range(2):
            try:
                print("write", i2c.writeto(0x50, b"\\x10ab"))
            except OSError as e:
                print("write OSError", e.errno)
    """.replace("CFG", repr(pico)), World(clock="virtual", other_devices=[RAM]))
    assert out == ["wait 110", "write 3", "write 3"]


# ------------------------------------------------------------------ _thread per port
def test_rp2_thread_is_one_thread_on_core_1_with_its_stack_from_the_heap():
    """ports/rp2/mpthreadport.c, mp_thread_create: "core1 in use" while core 1 runs, free again
    when its function returns; the stack is m_new from the MicroPython heap."""
    out = run("""
        import time, micropython  # time first: it boots the simulated board (simboard)
        import _thread
        gate = _thread.allocate_lock()
        gate.acquire()
        def core1():
            print("core 1 is", _thread.get_ident())
            gate.acquire()
        print(_thread.start_new_thread(core1, ()), _thread.get_ident())
        try:
            _thread.start_new_thread(print, ("never",))
        except OSError as e:
            print("OSError", e)
        gate.release()
        time.sleep_ms(10)
        while True:  # free once core1() has returned
            try:
                _thread.start_new_thread(print, ("again",))
                break
            except OSError:
                pass
        time.sleep_ms(10)
        micropython.heap_lock()
        try:
            _thread.start_new_thread(print, ("locked",))
        except MemoryError:
            print("MemoryError")
        micropython.heap_unlock()
    """)
    assert out == ["core 1 is 2", "2 1", "OSError core1 in use", "again", "MemoryError"]


def _app_console(tmp_path, world: World) -> list[str]:
    root = stage.stage_root(tmp_path / "root", natmod=stage.natmod_x64(), settings={"BACKEND": "natmod"})
    return run_board(world, script=root / "main.py", root=root, check=False).console


def test_the_pico_says_2_cores_once_core_1_has_answered(tmp_path):
    console = _app_console(tmp_path, stage.board_world("pico", Script().wait(50).end()))
    assert any(x.endswith("(16384 bytes of scratch), 2 cores") for x in console), console


def test_a_core_1_that_never_starts_leaves_the_pico_on_one_core_with_the_reason(tmp_path):
    s = Script().quiet(300, max_ms=30_000).press(15, hold_ms=100).quiet(400, max_ms=30_000).end()
    world = stage.board_world("pico", s, board_overrides={"core1": "never"})
    console = _app_console(tmp_path, world)
    said = "bytes of scratch), 1 core: core 1 did not start within 200 ms"
    assert any(x.endswith(said) for x in console), console
    assert any(x.startswith("pipdream: roll 1: ") for x in console), console


# ------------------------------------------------------------------ machine.mem32, os.urandom, time
def test_mem32_reads_a_register_with_bit_31_set_as_a_negative_int():
    """extmod/machine_mem.c, machine_mem_subscr: mp_obj_new_int((uint32_t)...) on a 32-bit port;
    a store takes any int, truncated (mp_obj_get_int_truncated); addresses must be aligned."""
    out = run("""
        import machine
        CH0_WRITE_ADDR = 0x50000004
        machine.mem32[CH0_WRITE_ADDR] = 0x90000000
        print(machine.mem32[CH0_WRITE_ADDR])
        machine.mem32[CH0_WRITE_ADDR] = -4
        print(machine.mem32[CH0_WRITE_ADDR], machine.mem32[CH0_WRITE_ADDR] & 0xFFFFFFFF)
        try:
            machine.mem32[0x50000006]
        except ValueError as e:
            print(e)
    """)
    assert out == ["-1879048192", "-4 4294967292", "address 50000006 is not aligned to 4 bytes"]


@pytest.mark.parametrize("seed", [None, 7])
def test_os_urandom_gives_n_bytes_every_time(seed):
    """ports/rp2/modos.c and ports/esp32/modos.c, mp_os_urandom: a bytes object of n bytes."""
    out = run("""
        import os
        print([(type(os.urandom(n)).__name__, len(os.urandom(n))) for n in (0, 1, 16, 100)])
    """, World(clock="virtual", seed=seed))
    assert out == ["[('bytes', 0), ('bytes', 1), ('bytes', 16), ('bytes', 100)]"]
