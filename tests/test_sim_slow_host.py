"""The simulated board does the same on every host: slow, loaded or single-core.

The board's clock is virtual: waits, bus transfers and each generate() at the board's measured
cycles per MAC move it, and it never reads the host's clock. These tests make the host slow on
purpose (a host clock that advances 1 to 50 us per read; a busy process competing for the same
core) and check that the rolls, frames and script timings do not change, and that a board that
stops progressing is reported within seconds, with where it stopped.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from pipdream.sim.demo import DemoOptions, run_demo
from pipdream.sim.runner import SimError, run_board
from pipdream.sim.world import HOST_CLOCK_ENV, Script, World

ROOT = Path(__file__).resolve().parents[1]
PIPDREAM = Path(sys.executable).parent / "pipdream"
SLOW = (1, 50, 7)  # each read of the host's clock advances it 1..50 us
WALL_FIELDS = ("wall_s",)


def board_facts(summary: dict) -> dict:
    """rolls.json without its wall-clock fields."""
    return {k: v for k, v in summary.items() if k not in WALL_FIELDS}


def demo(out: Path, host_clock=None) -> dict:
    opts = DemoOptions(rolls=3, seed=11, show="none", out=out, host_clock=host_clock)
    return board_facts(run_demo(opts, log=lambda _: None))


@pytest.fixture
def busy_core():
    """A process spinning on core 0, where the code under test is pinned too."""
    spin = subprocess.Popen(["taskset", "-c", "0", sys.executable, "-c", "while True: pass"])
    try:
        yield "0"
    finally:
        spin.kill()
        spin.wait()


def test_the_demo_rolls_the_same_on_a_slow_host_clock(tmp_path):
    normal = demo(tmp_path / "normal")
    slow = demo(tmp_path / "slow", host_clock=SLOW)
    assert slow == normal
    # the rolls are those of a Pico: under 20 ms of natmod (full plan, both cores) with the 12 ms
    # of I2C overlapped by DMA, paced to FRAME_MS (20 ms): 50 frames a second through the tumble.
    # Only the first interval (its window waits for the screen's clear, 23 ms on the bus) and the
    # last (the face number goes out too) are longer.
    for r in normal["rolls"]:
        tumble = r["frame_ms"][1:-1]
        assert len(tumble) >= 45 and 19 < statistics.median(tumble) < 20.5 and max(tumble) < 21, r


def test_the_demo_cli_rolls_the_same_with_a_busy_process_on_its_core(tmp_path, busy_core):
    args = ["demo", "--seed", "11", "--rolls", "3", "--show", "none", "--out"]
    subprocess.run([str(PIPDREAM), *args, str(tmp_path / "normal")], check=True, capture_output=True)
    loaded = subprocess.run(["taskset", "-c", busy_core, str(PIPDREAM), *args, str(tmp_path / "loaded")],
                            capture_output=True, text=True, timeout=300)
    assert loaded.returncode == 0, loaded.stderr
    normal, slow = (json.loads((tmp_path / run / "rolls.json").read_text()) for run in ("normal", "loaded"))
    assert board_facts(slow) == board_facts(normal)


def test_the_simulation_tests_pass_on_a_slowed_loaded_host(busy_core):
    """The device-app and simulation tests, again, pinned to a core shared with a busy process
    and with every simulated board's host clock slowed (PIPDREAM_SIM_HOST_CLOCK)."""
    env = {**os.environ, HOST_CLOCK_ENV: ",".join(map(str, SLOW))}
    files = ["tests/test_sim_demo.py", "tests/test_sim_machine.py", "tests/test_device_app.py"]
    cmd = ["taskset", "-c", busy_core, sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *files]
    r = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout[-3000:]


def test_the_virtual_clock_never_reads_the_hosts_and_the_real_one_feels_a_slow_host():
    code = textwrap.dedent("""
        import time
        a = time.ticks_us(); b = time.ticks_us()
        print("step", time.ticks_diff(b, a))
        while True:
            time.sleep_ms(5)
    """)
    script = Script().wait(50).end()
    virtual = run_board(World(script=script, host_clock=SLOW), code=code)
    real = run_board(World(clock="real", script=script, host_clock=SLOW), code=code)
    assert virtual.view.host_clock_reads == 0 and virtual.console == ["step 1"]  # one quantum
    assert real.view.host_clock_reads > 2 and 1 <= int(real.console[0].split()[1]) <= 100


def test_a_board_that_stops_progressing_is_stopped_within_seconds_saying_where():
    script = Script().wait(10).mark("started").quiet(300).end()
    t0 = time.monotonic()
    with pytest.raises(SimError) as e:
        run_board(World(script=script), stall_s=2, code=textwrap.dedent("""
            import time
            time.sleep_ms(20)
            while True:  # computes forever without looking at the clock
                pass
        """))
    assert time.monotonic() - t0 < 30  # the stall check fired, not the 300 s overall timeout
    msg = str(e.value)
    assert "made no progress for 2 s" in msg
    assert "waiting for script step 2 of 3: no display traffic for 300 ms" in msg
    assert "last record: mark at 0.010 s started" in msg


def test_a_computation_that_keeps_reading_the_clock_reaches_the_time_limit():
    result = run_board(World(limit_s=2), check=False, code=textwrap.dedent("""
        import time
        while True:
            time.ticks_us()
    """))
    assert result.end_kind == "limit"


def test_a_circuitpython_board_made_in_the_host_process_leaves_the_hosts_clock_alone():
    """Only the board's own process (cpy/board.py) runs on the board's clock: a host process's
    timeouts (this runner's stall check among them) must keep counting."""
    from pipdream.sim import circuitpython

    before = (time.sleep, time.monotonic, time.monotonic_ns)
    circuitpython.SimBoard(World().to_json(), None)
    assert (time.sleep, time.monotonic, time.monotonic_ns) == before


@pytest.mark.parametrize("text, said", [("1,50", "must be min_us,max_us,seed"),
                                        ("a,b,c", "must be min_us,max_us,seed"),
                                        ("50,1,7", "need 0 <= min_us <= max_us")])
def test_a_bad_slow_host_setting_is_a_clear_error(monkeypatch, text, said):
    monkeypatch.setenv(HOST_CLOCK_ENV, text)
    with pytest.raises(ValueError, match=said):
        World().to_json()


def test_the_old_fast_clock_is_refused_by_name():
    with pytest.raises(ValueError, match="clock must be one of virtual, real"):
        World(clock="fast").to_json()
