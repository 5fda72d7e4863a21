"""Both cores on one image: the natmod's generate_part on this core and on core 1.

    model, why = pdcores.split(model, board_cores)   # why: None, or why it stays on one core

On the rp2 port MicroPython's _thread runs one extra thread, on core 1, with no GIL: the two
cores compute the two halves of every layer's rows (docs/rp2040.md: 19.5 ms an image at
125 MHz instead of 38.3). Elsewhere (no _thread, a GIL that keeps threads on one core as on
the ESP32, a backend or plan without generate_part, core 1 busy) the model stays as it was.
The returned model has the same generate(face, angle_code, out); it allocates nothing.

Core 1 must show it runs before the die counts on it: its first act is to release a lock that
core 0 polls for START_MS (a Pico's core 1 answers within microseconds). One that never does (a
fault, or an emulator with one core) leaves the die on one core with the reason, instead of a
first roll that waits out the natmod's barrier timeout (about 21 s under rp2040js) and a console
that says "2 cores" for a core that did nothing.
"""

START_MS = 200


class NotStarted(Exception):
    pass


class TwoCores:
    """A FULL-plan natmod model whose generate() runs half of each layer on core 1."""

    def __init__(self, model, thread, clock):
        self.model = model
        self.info = model.info
        self.sync = bytearray(2)  # [2] the cores' step counters (pd_barrier)
        self.job = [0, 0, None]  # face, angle code, out of the image core 1 helps with (face 0: stop)
        self.go = thread.allocate_lock()  # released: core 1 has a job
        self.done = thread.allocate_lock()  # released: core 1 finished its share
        self.go.acquire()
        self.done.acquire()
        self.broken = None  # the error that took core 1 out, if any
        self.ready = thread.allocate_lock()  # released by core 1 as soon as it runs
        self.ready.acquire()
        thread.start_new_thread(self._core1, ())  # OSError "core1 in use" when taken
        t0 = clock.ticks_ms()
        while not self.ready.acquire(0):
            if clock.ticks_diff(clock.ticks_ms(), t0) >= START_MS:
                self.stop()  # should it ever start: it ends at once
                raise NotStarted("core 1 did not start within %d ms" % START_MS)
            clock.sleep_ms(1)

    def _core1(self):
        self.ready.release()
        job = self.job
        while True:
            self.go.acquire()
            if job[0] == 0:
                return
            try:
                self.model.generate_part(job[0], job[1], job[2], 1, 2, self.sync)
            except Exception:  # noqa: BLE001 - core 0 raises the same error for the same arguments
                pass
            self.done.release()

    def generate(self, face, angle_code, out):
        if self.broken is not None:
            return self.model.generate(face, angle_code, out)
        job = self.job
        job[0] = face
        job[1] = angle_code
        job[2] = out
        self.go.release()
        try:
            self.model.generate_part(face, angle_code, out, 0, 2, self.sync)
        except RuntimeError as e:  # core 1 never reached the barrier: go on alone
            self.broken = e
            return self.model.generate(face, angle_code, out)
        except Exception:
            self.done.acquire()  # bad arguments: core 1 stopped on the same error
            raise
        self.done.acquire()

    def stop(self):
        """End core 1's thread (before filesystem work: a running core 1 stalls flash writes)."""
        self.job[0] = 0
        self.go.release()


def split(model, cores, thread=None, clock=None):
    """(model on `cores` cores, None) or (model unchanged, why it runs on one core).

    thread: the _thread module (imported when None; tests pass a stand-in); clock: the board's
    (pdclock when None) for core 1's first answer."""
    if cores < 2:
        return model, "the board module asks for one core"
    if not hasattr(model, "generate_part"):
        return model, "this backend has no split generate"
    plan = model.info()["plan"]
    if plan != "full":
        return model, "the %s plan runs on one core" % plan
    if thread is None:
        try:
            import _thread as thread
        except ImportError:
            return model, "no _thread on this port"
    if clock is None:
        import pdclock as clock
    try:
        return TwoCores(model, thread, clock), None
    except OSError as e:  # rp2: "core1 in use" (the REPL's own thread, another app)
        return model, "core 1 is busy (%s)" % e
    except NotStarted as e:
        return model, str(e)
