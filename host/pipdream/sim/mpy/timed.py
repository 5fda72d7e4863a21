# timed: the modelled computation of a simulated board. A model's generate() takes
# info()["macs"] * cycles_per_mac[backend_plan] / freq microseconds of board time.
#
# MicroPython code (simboard), also imported on CPython by the CircuitPython simulation: both
# hook the app's `pdinfer` module so that the models its load() returns are timed, and its
# `pdview` so that drawing and flushing a frame take what they take on the board (app costs:
# pipdream.sim.compute.app_costs_us, measured on the real rp2 firmware).


def cost_us(info, cycles_per_mac, freq, parts=1):
    """Board microseconds of one generate() of a model with this info() (0: not modelled);
    with parts > 1, of an image split between that many cores (generate_part)."""
    key = "%s_%s" % (info.get("backend"), info.get("plan"))
    cpm = cycles_per_mac.get(key + "_x%d" % parts if parts > 1 else key) or cycles_per_mac.get(key)
    if cpm is None:
        return 0
    return int(info.get("macs", 0) * cpm * 1000000 // freq)


class TimedModel:
    """A model of any backend whose generate() also calls compute(its cost in microseconds)."""

    def __init__(self, model, compute, cycles_per_mac, freq):
        self._model = model
        self._compute = compute
        info = model.info()
        self.cost_us = cost_us(info, cycles_per_mac, freq)
        self.cost_x2_us = cost_us(info, cycles_per_mac, freq, 2)

    def generate(self, face, angle_code, out):
        r = self._model.generate(face, angle_code, out)
        self._compute(self.cost_us)
        return r

    def generate_part(self, face, angle_code, out, part, parts, sync):
        """Part 0 (the main thread, the only one that touches the board's clock) takes the time
        of the whole split image; the other parts run on the other core's thread."""
        r = self._model.generate_part(face, angle_code, out, part, parts, sync)
        if part == 0:
            self._compute(self.cost_x2_us if parts == 2 else self.cost_us)
        return r

    def __getattr__(self, name):
        return getattr(self._model, name)


def hook_pdinfer(module, compute, cycles_per_mac, freq):
    """Make the app's pdinfer.load return TimedModels (once per module)."""
    if hasattr(module, "_untimed_load"):
        return
    load = module.load

    def timed_load(*args):
        model, backend = load(*args)
        return TimedModel(model, compute, cycles_per_mac, freq), backend

    module._untimed_load = load
    module.load = timed_load


class _ViewCosts:
    """What hook_pdview's wrappers need, in one object: a MicroPython closure over more than a few
    variables allocates its arguments on every call (objclosure.c), and draw runs under heap_lock."""

    def __init__(self, module, compute, costs, freq):
        scale = costs.get("freq", freq) / freq
        self.module = module
        self.compute = compute
        self.window = {}
        for k in costs["window"]:
            self.window[k] = int(costs["window"][k] * scale)
        self.frame_us = int(costs["frame"] * scale)
        self.flush_us = int(costs["flush"] * scale)
        self.draw = module.View.draw
        self.flush = module.View.flush


def hook_pdview(module, compute, costs, freq):
    """Make pdview.View.draw and flush take board time: a window per die by pdview.DRAWN_BY plus
    the frame loop's own share (charged with the draw: one draw a frame), and a flush that sends
    something. costs: app_costs_us(), at costs["freq"]; this board runs at `freq`."""
    view = module.View
    if not costs or hasattr(view, "_untimed_draw"):
        return
    c = _ViewCosts(module, compute, costs, freq)

    def timed_draw(self, images, faces):
        c.draw(self, images, faces)
        c.compute(c.window.get(c.module.DRAWN_BY, 0) * len(self.slots) + c.frame_us)

    def timed_flush(self):
        sent = c.flush(self)
        if sent:
            c.compute(c.flush_us)
        return sent

    view._untimed_draw = c.draw
    view.draw = timed_draw
    view.flush = timed_flush
