"""The `machine` stand-in behaves like a board's, on the real MicroPython unix runtime."""

from __future__ import annotations

import textwrap

import pytest
from pipdream.sim.runner import STANDIN_HEAP, SimError, run_board
from pipdream.sim.world import Display, Script, World

RAM = {"name": "eeprom", "kind": "ram", "bus": "i2c", "scl": 5, "sda": 4, "addr": 0x50}


def run(code: str, world: World | None = None, ends: str = "reset") -> list[str]:
    """Run MicroPython code on the simulated board, which then calls machine.reset()."""
    world = world or World(clock="virtual")
    src = textwrap.dedent(code) + "\nimport machine\nmachine.reset()\n"
    result = run_board(world, code=src, check=False)
    assert result.end_kind == ends, result.console_text()
    return result.console


def test_an_absent_i2c_address_raises_oserror_with_the_ports_errno():
    out = run("""
        from machine import I2C, SoftI2C, Pin
        for bus in (SoftI2C(scl=Pin(5), sda=Pin(4)), I2C(0)):
            try:
                bus.writeto(0x3D, b"\\x00\\xaf")
            except OSError as e:
                print(type(bus).__name__, e.errno)
    """)
    # SoftI2C reports ENODEV on every port; the rp2 hardware I2C reports EIO.
    assert out == ["SoftI2C 19", "I2C 5"]
    esp32 = run("""
        from machine import I2C
        try:
            I2C(0).readfrom(0x3C, 1)
        except OSError as e:
            print(e.errno)
    """, World(board="esp32", clock="virtual", displays=[Display(scl=18, sda=19, present=False)]))
    assert esp32 == ["19"]


def test_scan_writes_and_reads_reach_the_attached_devices():
    out = run("""
        from machine import I2C
        i2c = I2C(0, freq=400000)
        print(i2c.scan())
        print(i2c.writeto(0x50, b"\\x10abc"), i2c.writevto(0x50, (b"\\x20", b"xy", b"z")))
        print(i2c.readfrom_mem(0x50, 0x10, 3), i2c.readfrom_mem(0x50, 0x20, 3))
        buf = bytearray(2)
        i2c.readfrom_mem_into(0x50, 0x11, buf)
        print(bytes(buf))
    """, World(clock="virtual", other_devices=[RAM]))
    assert out == ["[60, 80]", "4 4", "b'abc' b'xyz'", "b'bc'"]


def test_devices_can_be_attached_and_detached_by_the_script():
    script = Script().wait(10).detach("oled").wait(10).attach("oled")
    out = run("""
        import time
        from machine import I2C
        i2c = I2C(0)
        for _ in range(3):
            print(i2c.scan())
            time.sleep_ms(10)
    """, World(clock="virtual", script=script))
    assert out == ["[60]", "[]", "[60]"]


def test_i2c_pins_are_checked_like_the_rp2_port():
    out = run("""
        from machine import I2C, Pin
        for scl, sda in ((5, 4), (4, 5), (7, 6)):
            try:
                I2C(0, scl=Pin(scl), sda=Pin(sda))
                print("ok")
            except ValueError as e:
                print(e)
        try:
            I2C(2)
        except ValueError as e:
            print(e)
    """)
    assert out == ["ok", "bad SCL pin", "bad SCL pin", "I2C(2) doesn't exist"]


def test_a_bus_transfer_takes_nine_clocks_per_byte():
    out = run("""
        import time
        from machine import I2C
        i2c = I2C(0, freq=400000)
        t = time.ticks_us()
        i2c.writeto(0x3C, bytes(1025))  # control byte + 1,024 data bytes
        print(time.ticks_diff(time.ticks_us(), t))
    """)
    # 1,026 bytes of 9 clocks at 400 kHz, plus the 1 us each clock read takes in virtual time
    assert 0 <= int(out[0]) - (1 + 1025) * 9 * 1_000_000 // 400_000 <= 10


def test_pin_irqs_fire_on_scripted_edges_at_their_time_with_the_pin():
    script = Script().wait(100).level(15, 0).wait(7).level(15, None).wait(3).level(15, 0)
    out = run("""
        import time
        from machine import Pin
        seen = []
        def handler(p):
            seen.append((time.ticks_ms(), p.value(), p is button))
        button = Pin("GP15", Pin.IN, Pin.PULL_UP)
        button.irq(handler, Pin.IRQ_FALLING)
        time.sleep_ms(200)
        print(seen)
    """, World(clock="virtual", script=script))
    assert out == ["[(100, 0, True), (110, 0, True)]"]  # falling edges only


def test_hard_irq_handlers_run_with_the_heap_locked():
    script = Script().wait(10).level(15, 0).wait(10).level(15, None).wait(10).level(15, 0)
    out = run("""
        import time
        from machine import Pin
        count = 0
        def counts(p):
            global count
            count += 1
        def allocates(p):
            x = [1, 2, 3]
        a = Pin(15, Pin.IN, Pin.PULL_UP)
        a.irq(allocates, Pin.IRQ_FALLING, hard=True)
        time.sleep_ms(15)
        a.irq(counts, Pin.IRQ_FALLING | Pin.IRQ_RISING, hard=True)
        time.sleep_ms(40)
        print("count", count)
    """, World(clock="virtual", script=script))
    assert out[0] == "Uncaught exception in IRQ callback handler"
    assert "MemoryError: memory allocation failed, heap is locked" in out
    assert out[-1] == "count 2"


def test_an_irq_is_disabled_with_a_none_handler_and_read_back_without_arguments():
    script = Script().wait(10).level(15, 0).wait(10).level(15, None).wait(10).level(15, 0)
    out = run("""
        import time
        from machine import Pin
        n = [0]
        def count(p):
            n[0] += 1
        p = Pin(15, Pin.IN, Pin.PULL_UP)
        irq = p.irq(count, Pin.IRQ_FALLING)
        time.sleep_ms(15)
        print(p.irq() is irq, p.irq().flags() == Pin.IRQ_FALLING)
        p.irq(None)
        time.sleep_ms(30)
        print(n[0])
    """, World(clock="virtual", script=script))
    assert out == ["True True", "1"]


def test_the_stand_ins_allocate_nothing_the_app_can_see_under_heap_lock():
    # On a board these calls are C code; under the app's heap_lock they must not raise.
    script = Script().wait(5).level(15, 0)
    out = run("""
        import time, micropython
        from machine import I2C, Pin
        i2c = I2C(0)
        led = Pin(25, Pin.OUT)
        button = Pin(15, Pin.IN, Pin.PULL_UP)
        button.irq(lambda p: None, Pin.IRQ_FALLING)
        def locked():  # a function: new globals would grow a dict
            micropython.heap_lock()
            t = time.ticks_ms()
            time.sleep_ms(10)  # the scripted press and its soft IRQ happen meanwhile
            i2c.writeto(0x3C, b"\\x80\\xe3")
            led.value(1)
            level = button.value()
            dt = time.ticks_diff(time.ticks_ms(), t)
            micropython.heap_unlock()
            return level, dt >= 10
        print(*locked())
    """, World(clock="virtual", script=script, watch_pins=[25]))
    assert out == ["0 True"]


def test_soft_irq_handlers_are_scheduled_and_may_allocate():
    script = Script().wait(10).level(15, 0)
    out = run("""
        import time
        from machine import Pin
        got = []
        Pin(15, Pin.IN, Pin.PULL_UP).irq(lambda p: got.append([p.value()]), Pin.IRQ_FALLING)
        time.sleep_ms(30)
        print(got)
    """, World(clock="virtual", script=script))
    assert out == ["[[0]]"]


def test_pulls_decide_the_level_of_a_released_button():
    out = run("""
        from machine import Pin
        print(Pin(14, Pin.IN).value(), Pin(15, Pin.IN, Pin.PULL_UP).value(),
              Pin(15, Pin.IN, Pin.PULL_DOWN).value())
    """)
    assert out == ["0 1 0"]  # an RP2040 pad comes out of reset pulled down


def test_timers_run_on_the_simulated_clock():
    out = run("""
        import time
        from machine import Timer
        ticks = []
        once = []
        t = Timer(-1, mode=Timer.PERIODIC, period=10, callback=lambda t: ticks.append(time.ticks_ms()))
        Timer(-1, mode=Timer.ONE_SHOT, period=25, callback=lambda t: once.append(time.ticks_ms()))
        time.sleep_ms(55)
        t.deinit()
        time.sleep_ms(50)
        print(ticks, once)
        try:
            Timer(3)
        except ValueError as e:
            print(e)
    """)
    assert out == ["[10, 20, 30, 40, 50] [25]", "Timer doesn't exist"]


def test_a_repeated_script_presses_the_button_again():
    script = Script().wait(10).press(15, hold_ms=20).wait(10).repeat(2, times=4)
    out = run("""
        import time
        from machine import Pin
        n = 0
        def count(p):
            global n
            n += 1
        Pin(15, Pin.IN, Pin.PULL_UP).irq(count, Pin.IRQ_FALLING, hard=True)
        time.sleep_ms(1000)
        print(n)
    """, World(clock="virtual", script=script))
    assert out == ["5"]


def test_lightsleep_wakes_on_a_pin_interrupt():
    script = Script().wait(30).level(15, 0)
    out = run("""
        import time, machine
        from machine import Pin
        Pin(15, Pin.IN, Pin.PULL_UP).irq(lambda p: None, Pin.IRQ_FALLING)
        machine.lightsleep(1000)
        print(time.ticks_ms())
    """, World(clock="virtual", script=script))
    assert out == ["30"]


def test_ticks_wrap_like_a_boards():
    out = run("""
        import time
        a = time.ticks_ms()
        time.sleep_ms(20)
        b = time.ticks_ms()
        print(b < a, time.ticks_diff(b, a))
    """, World(clock="virtual", ticks_start_ms=(1 << 30) - 10))
    assert out == ["True 20"]


def test_an_unfed_watchdog_resets_the_board():
    result = run_board(World(clock="virtual"), check=False, code=textwrap.dedent("""
        import time
        from machine import WDT
        WDT(timeout=100)
        time.sleep_ms(500)
        print("still running")
    """))
    assert result.end_kind == "watchdog" and result.console == []


def test_a_display_that_never_goes_quiet_ends_the_run_with_a_timeout():
    script = Script().quiet(50, max_ms=200).end()
    with pytest.raises(SimError, match="did not go quiet for 50 ms within 0 s"):
        run_board(World(clock="virtual", script=script), code=textwrap.dedent("""
            import time
            from machine import I2C
            i2c = I2C(0)
            while True:
                i2c.writeto(0x3C, b"\\x80\\xe3")
                time.sleep_ms(10)
        """))


def test_only_waiting_counts_as_quiet_so_a_slow_computation_is_not_the_end_of_a_frame():
    script = Script().quiet(50).mark("quiet").end()
    result = run_board(World(script=script), code=textwrap.dedent("""
        import time
        from machine import I2C
        i2c = I2C(0)
        i2c.writeto(0x3C, b"\\x80\\xe3")
        t = time.ticks_ms()
        while time.ticks_diff(time.ticks_ms(), t) < 150:  # computing, not waiting
            pass
        i2c.writeto(0x3C, b"\\x80\\xe3")
        print("second write", time.ticks_us())
        while True:
            time.sleep_ms(5)
    """))
    second = int(result.console[0].split()[-1])
    (t_quiet, _), = result.view.marks
    assert t_quiet >= second + 50_000


def test_quiet_counts_from_the_start_of_the_step():
    script = Script().wait(500).mark("pressed").quiet(100).mark("quiet").end()
    for clock in ("virtual", "real"):
        result = run_board(World(clock=clock, script=script), code=textwrap.dedent("""
            import time
            from machine import I2C
            I2C(0).writeto(0x3C, b"\\x80\\xe3")
            while True:
                time.sleep_ms(5)
        """))
        (t_pressed, _), (t_quiet, _) = result.view.marks
        assert t_quiet - t_pressed >= 100_000


def test_seeded_urandom_is_reproducible_and_unseeded_is_not():
    code = "import os\nprint(os.urandom(8))"
    a = run(code, World(clock="virtual", seed=5))
    b = run(code, World(clock="virtual", seed=5))
    c = run(code, World(clock="virtual", seed=6))
    d, e = run(code), run(code)
    assert a == b != c and d != e


def test_the_stand_ins_fit_in_the_heap_reserved_for_them():
    out = run("""
        import gc
        gc.collect()
        before = gc.mem_free()
        import machine, time, os, simboard
        gc.collect()
        print(before - gc.mem_free())
    """)
    assert 0 < int(out[0]) < STANDIN_HEAP
