"""The ATmega328p firmware fits its 2 KB of SRAM with room to spare, measured, not estimated.

The firmware paints the free RAM at reset (.init1) and reports after every roll how much
of it the stack has used; the simulator independently tracks the lowest stack pointer.
"""

from __future__ import annotations

from pipdream import avr
from pipdream.blob import load
from pipdream.plan import STREAM, plan

SRAM = 2048
SPARE = 100


def test_static_ram_plus_the_measured_stack_leaves_100_bytes_after_several_rolls(tmp_path):
    elf = avr.build_firmware()  # the shipped firmware, button-driven
    run = avr.run_sim(elf, tmp_path, rolls=4)
    assert len(run.rolls) == 4, run.uart[-300:]
    assert all(r.frames for r in run.rolls)  # the tumble ran too
    sizes = avr.section_sizes(elf)
    static = sizes["data"] + sizes["bss"]
    assert int(run.info["static"]) == static  # the firmware's own view of .data + .bss
    stack = max(r.stack for r in run.rolls)
    assert not any(r.stack_overflow for r in run.rolls)
    assert all(r.ram == static + r.stack for r in run.rolls)
    assert static + stack <= SRAM - SPARE, f".data+.bss {static} + stack {stack} = {static + stack} bytes"
    # the paint and the simulator's lowest stack pointer agree
    assert abs(run.info["sim_stack_max"] - stack) <= 2, (run.info["sim_stack_max"], stack)


def test_the_scratch_buffer_is_exactly_what_the_larger_streaming_plan_asks_for(tmp_path):
    """The default and the tumble's fast model share one buffer. The firmware prints the
    build's plan figures (tools/plan_size, the shared pd_plan.c compiled for the host):
    they are host/pipdream/plan.py's."""
    elf = avr.build_firmware()
    run = avr.run_sim(elf, tmp_path, rolls=0)
    assert run.end_reason == "rolls" and "ready" in run.uart
    default = plan(load(avr.default_blob().read_bytes()), STREAM)
    fast = plan(load(avr.FAST_BLOB.read_bytes()), STREAM)
    assert int(run.info["plan_scratch"]) == default.scratch_bytes
    assert int(run.info["macs"]) == default.macs and int(run.info["strips"]) == default.strips
    assert int(run.info["fast_scratch"]) == fast.scratch_bytes
    assert int(run.info["fast_macs"]) == fast.macs and int(run.info["fast_strips"]) == fast.strips
    assert int(run.info["scratch"]) == max(default.scratch_bytes, fast.scratch_bytes)


def test_the_test_hook_build_fits_too(tmp_path):
    elf = avr.build_firmware(hook=True)
    run = avr.run_sim(elf, tmp_path, forced=[(1, -127), (6, 127)])
    assert len(run.rolls) == 2
    assert not any(r.stack_overflow for r in run.rolls)
    assert max(r.ram for r in run.rolls) <= SRAM
