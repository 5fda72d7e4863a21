"""The button: any bounce gives one press, polled or by IRQ, and the IRQ handler allocates nothing.

A scripted contact: each press bounces with k = 1..20 chatter edges within 10 ms
(plus one settling edge when k is even, so the line ends closed), is held
60-400 ms, and is released with 8-10 chatter edges (settling open). Every press
must give exactly one PRESS and one RELEASE event, whether the main loop polls
every millisecond (no IRQ) or edges arrive by IRQ and the loop polls only every
1 to 300 ms (a slow inference frame). Glitch bursts that return to the idle level
give nothing. The scenarios run on the real MicroPython runtime and on CPython.
"""

from __future__ import annotations

import pytest
from support.device import RUNTIMES, raised, run_json

# The board's clock and button pin, set by hand. `now` and `level` are instance attributes
# from the start, so that updating them allocates nothing (the HEAP scenario locks the heap).
FAKES = r"""
class Clock:
    def __init__(self, now=0):
        self.now = now
    def ticks_ms(self):
        return self.now
    def ticks_diff(self, a, b):
        return a - b

class Pin:
    def __init__(self):
        self.level = 1
    def value(self):
        return self.level
"""

SCENARIOS = "import json, pdbutton\n" + FAKES + r"""
STABLE = 30
LONG = 1000

class Rand:  # the same numbers on both runtimes
    def __init__(self, seed):
        self.s = seed
    def below(self, n):
        self.s = (self.s * 1103515245 + 12345) & 0x7FFFFFFF
        return (self.s >> 8) % n

def burst(rnd, t_us, k, end_level, start_level):
    # k chatter edges within 10 ms, plus a settling edge if needed to end at end_level
    times = sorted(t_us + rnd.below(10000) for _ in range(k))
    edges = []
    level = start_level
    for t in times:
        level = 1 - level
        edges.append((t, level))
    if level != end_level:
        edges.append((t_us + 10000, end_level))
    return edges

def waveform(rnd, k, presses):
    edges = []
    t = 50000
    for _ in range(presses):
        edges += burst(rnd, t, k, 0, 1)
        t += 10000 + 60000 + rnd.below(340000)  # held 60-400 ms
        edges += burst(rnd, t, 8 + rnd.below(3), 1, 0)
        t += 10000 + 100000 + rnd.below(200000)
    return edges, t + 100000

def glitches(rnd, k, held):
    # k = 2, 4, ... edges that return to the level they started from
    base = 0 if held else 1
    edges = [] if not held else [(20000, 0)]
    t = 100000
    for _ in range(5):
        edges += burst(rnd, t, k, base, base)
        t += 200000
    return edges, t + 100000

def run_polled(edges, end_us):
    # no IRQ: sample the pin every millisecond
    clock, pin = Clock(), Pin()
    b = pdbutton.Button(pin, clock, 0, STABLE, LONG)
    ev = [0, 0, 0, 0]
    j = 0
    for ms in range(end_us // 1000):
        while j < len(edges) and edges[j][0] < ms * 1000:
            pin.level = edges[j][1]
            j += 1
        clock.now = ms
        ev[b.poll(ms)] += 1
    return ev

def run_irq(edges, end_us, poll_ms):
    # every edge interrupts (timestamped in ms); the main loop polls every poll_ms
    clock, pin = Clock(), Pin()
    b = pdbutton.Button(pin, clock, 0, STABLE, LONG)
    ev = [0, 0, 0, 0]
    j = 0
    polls = list(range(0, end_us // 1000, poll_ms)) + [end_us // 1000]  # and a last look at the end
    for ms in polls:
        while j < len(edges) and edges[j][0] < ms * 1000:
            pin.level = edges[j][1]
            clock.now = edges[j][0] // 1000
            b.irq(pin)
            j += 1
        clock.now = ms
        ev[b.poll(ms)] += 1
        while True:  # drain every pending event at this poll
            e = b.poll(ms)
            if not e:
                break
            ev[e] += 1
    return ev

out = {"press": [], "glitch": []}
for k in range(1, 21):
    rnd = Rand(k)
    edges, end = waveform(rnd, k, 6)
    row = {"k": k, "presses": 6, "polled": run_polled(edges, end)}
    for p in (1, 7, 50, 300):
        row["irq%d" % p] = run_irq(edges, end, p)
    out["press"].append(row)
for k in range(2, 21, 2):
    for held in (0, 1):
        edges, end = glitches(Rand(100 + k), k, held)
        out["glitch"].append({"k": k, "held": held, "polled": run_polled(edges, end),
                              "irq": run_irq(edges, end, 20)})
print(json.dumps(out))
"""

NONE, PRESS, RELEASE, LONG = 0, 1, 2, 3


@pytest.fixture(scope="module", params=RUNTIMES)
def scenarios(request):
    return run_json(SCENARIOS, request.param)


def test_each_press_with_1_to_20_bounce_edges_counts_once_when_polled(scenarios):
    for row in scenarios["press"]:
        ev = row["polled"]
        assert (ev[PRESS], ev[RELEASE]) == (row["presses"], row["presses"]), row


@pytest.mark.parametrize("poll_ms", [1, 7, 50, 300])
def test_each_press_with_1_to_20_bounce_edges_counts_once_by_irq(scenarios, poll_ms):
    for row in scenarios["press"]:
        ev = row[f"irq{poll_ms}"]
        assert (ev[PRESS], ev[RELEASE]) == (row["presses"], row["presses"]), row


def test_glitches_that_return_to_the_same_level_give_no_event(scenarios):
    for row in scenarios["glitch"]:
        expected_presses = 1 if row["held"] else 0  # the held line's own press, once
        for ev in (row["polled"], row["irq"]):
            assert ev[PRESS] == expected_presses and ev[RELEASE] == 0, row


def test_no_long_press_from_short_presses(scenarios):
    for row in scenarios["press"]:
        assert row["polled"][LONG] == 0


TIMING = "import json, pdbutton\n" + FAKES + r"""
def first_event_time(stable, hold_ms):
    clock, pin = Clock(), Pin()
    b = pdbutton.Button(pin, clock, 0, stable, 1000)
    seen = []
    for ms in range(3000):
        pin.level = 0 if 100 <= ms < 100 + hold_ms else 1
        clock.now = ms
        e = b.poll(ms)
        if e:
            seen.append([e, ms])
    return seen

print(json.dumps({"s20": first_event_time(20, 200), "s50": first_event_time(50, 200),
                  "short": first_event_time(30, 25), "long": first_event_time(30, 1500)}))
"""


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_a_press_counts_after_the_stable_time_and_a_long_hold_gives_one_long_event(runtime):
    r = run_json(TIMING, runtime)
    assert r["s20"] == [[PRESS, 120], [RELEASE, 320]]
    assert r["s50"] == [[PRESS, 150], [RELEASE, 350]]
    assert r["short"] == []  # 25 ms is shorter than the 30 ms debounce: contact noise
    assert r["long"] == [[PRESS, 130], [LONG, 1130], [RELEASE, 1630]]


HEAP = "import json, micropython, pdbutton\n" + FAKES + r"""
clock, pin = Clock(5), Pin()
b = pdbutton.Button(pin, clock, 0, 30, 1000)
handler = b.irq          # bound once, as the board does when it attaches the IRQ
events = 0
micropython.heap_lock()  # any allocation below raises MemoryError
for i in range(200):
    pin.level = i & 1
    clock.now += 1
    handler(pin)         # what a hard IRQ runs
    if i % 10 == 0:
        events += b.poll(clock.now)
for i in range(100):
    clock.now += 1
    events += b.poll(clock.now)
micropython.heap_unlock()
print(json.dumps({"ok": True, "presses": b.deb.presses}))
"""


def test_irq_handler_and_poll_allocate_nothing_on_micropython():
    r = run_json(HEAP, "micropython")
    assert r["ok"] and r["presses"] == 0  # 200 edges 1 ms apart: never stable for 30 ms


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_bad_debounce_time_is_a_clear_error(runtime):
    err = run_json("import json, pdbutton\n" + raised("pdbutton.Debouncer(0, 0)"), runtime)
    assert err == "ValueError: stable_ms must be 1..1000"


OVERRUN = SCENARIOS.split("out = {")[0] + r"""
rnd = Rand(7)
edges, end = waveform(rnd, 20, 10)  # about 300 edges, far more than the IRQ ring holds
long_gap = run_irq(edges, end, 5000)
clock, pin = Clock(), Pin()
b = pdbutton.Button(pin, clock, 0, STABLE, LONG)
for t, level in edges:       # every edge by IRQ, no poll at all until the end
    pin.level = level
    clock.now = t // 1000
    b.irq(pin)
ev = [0, 0, 0, 0]
for ms in range(end // 1000, end // 1000 + 200):
    ev[b.poll(ms)] += 1
idle_after = b.pressed
flood = ev
ev = [0, 0, 0, 0]
pin.level = 0                 # then one clean press and release
for ms in range(end // 1000 + 200, end // 1000 + 600):
    if ms == end // 1000 + 400:
        pin.level = 1
    clock.now = ms
    b.irq(pin) if ms in (end // 1000 + 200, end // 1000 + 400) else None
    ev[b.poll(ms)] += 1
print(json.dumps({"long_gap": long_gap, "flood": flood, "clean": ev, "idle_after": idle_after}))
"""


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_an_irq_ring_overrun_loses_presses_but_never_invents_them_and_recovers(runtime):
    r = run_json(OVERRUN, runtime)
    assert r["long_gap"][PRESS] <= 10 and r["long_gap"][RELEASE] <= 10
    assert r["idle_after"] is False
    flood, clean = r["flood"], r["clean"]
    assert 1 <= flood[PRESS] <= 10 and flood[RELEASE] == flood[PRESS]  # the newest presses survive
    assert clean[PRESS] == 1 and clean[RELEASE] == 1
