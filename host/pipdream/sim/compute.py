"""What one generate() costs on a simulated board: board cycles per MAC, by backend and plan.

The simulated board's clock charges each generate() `macs * cycles_per_mac / freq`
(sim/mpy/timed.py), so a roll takes the time it would take on the board, whatever this host's speed.

- natmod on the Pico: measured, cycle-exact, in rp2040js (bench/results/rp2040.json: the
  armv6m natmod's kernels, both plans, mean over 30 images; "natmod_full_x2": the full plan
  split between the two cores, modelled there from each core's share);
- viper and pure Python on the Pico: measured on the real rp2 firmware in rp2040js
  (bench/results/rp2040_firmware.json, the default model's generate()); a backend not measured
  there is estimated as the natmod's full-plan figure times its slowdown against it on the unix
  port (bench/results/micropython_speed.json);
- the other boards (the ESP32s, the Pico 2): no figures of their own; they take the Pico's
  cycles per MAC at their own clock (their board module's FREQ; an assumption, said so in
  docs/simulation.md: the Pico 2's Cortex-M33 needs no more cycles than the M0+).

And what the app's own Python costs a Pico per frame (app_costs_us): drawing a die window per
drawer, flushing it to the DMA channel, and the rest of the frame loop, measured on the real rp2
firmware in rp2040js (bench/results/rp2040_firmware.json); the other boards take them in the
same cycles at their clock.

These are constants: nothing is read from bench/ at run time (an installed pipdream has no
bench/). bench/sim_costs.py derives them from bench/results/*.json, and tests/test_sim_costs.py
checks that they match: re-measure, then paste what `python bench/sim_costs.py` prints.
"""

from __future__ import annotations

# Pico (RP2040) cycles per MAC of one generate(), by backend and plan (bench/sim_costs.py).
CYCLES_PER_MAC: dict[str, float] = {
    "natmod_full": 4.967, "natmod_stream": 6.319, "natmod_full_x2": 2.521,
    "viper_rows": 116.223, "python_rows": 5750.107,
}
# The app's own Python on a Pico at 125 MHz, microseconds a frame (bench/sim_costs.py).
APP_COSTS_US: dict = {
    "window": {"natmod": 386, "viper": 2436, "python": 57842}, "flush": 523, "frame": 242,
    "freq": 125_000_000,
}


def cycles_per_mac() -> dict[str, float]:
    """{"natmod_full": ..., "natmod_full_x2": ..., "natmod_stream": ..., "viper_rows": ...,
    "python_rows": ...}."""
    return dict(CYCLES_PER_MAC)


def app_costs_us() -> dict:
    """{"window": {drawer: us}, "flush": us, "frame": us, "freq": Hz}: a Pico at 125 MHz. "frame" is
    the frame loop besides generate(), the window and the flush."""
    return {**APP_COSTS_US, "window": dict(APP_COSTS_US["window"])}
