"""The die: a small state machine between a button, a random source, the model and a display.

    idle (title screen, or the last roll held) --press--> roll: the die tumbles, frames
    generated while the angle sweeps, then settles on the rolled face --> idle
    idle --hold LONG_PRESS_MS--> settings (press: change value, hold: next item / leave)

Nothing here imports `machine`: the board (pdboard_micropython, pdboard_circuitpython or a
simulation, docs/device.md) gives the clock, entropy, button pin and display. Failures never
stop the die: without a display it rolls on the console and looks for the display
every DISPLAY_RETRY_MS; without a usable model it says so and shows the number;
anything else a roll raises (MemoryError included) is reported and the next press
rolls again.
"""

import pdbutton
import pdrandom
import pdsettings
import pdtumble
import pdview
from pdformat import N_FACES, OUT_H, OUT_W

IDLE = 0
SETTINGS = 1

# settings menu: label, setting, values, value labels
_MENU = (
    ("dither", "DITHER", ("threshold", "bayer"), ("thresh", "bayer")),
    ("number", "NUMBER", (True, False), ("on", "off")),
    ("dice", "DICE", (1, 2), ("1", "2")),
)


class Config:
    """pdsettings' values, with overrides; unknown names are an error (typos do not pass silently)."""

    def __init__(self, overrides=None):
        for name in dir(pdsettings):
            if name.isupper():
                setattr(self, name, getattr(pdsettings, name))
        for name in overrides or {}:
            if not hasattr(self, name):
                raise ValueError("unknown setting %s" % name)
            setattr(self, name, overrides[name])


def _say(msg):
    print("pipdream: " + msg)


def _wrap(text, cols):
    """Split text into lines of at most cols characters, at spaces where possible."""
    lines = []
    line = ""
    for word in str(text).split():
        while len(word) > cols:
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:cols])
            word = word[cols:]
        if not line:
            line = word
        elif len(line) + 1 + len(word) <= cols:
            line += " " + word
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines


def _mem_free():
    """Free heap bytes after a collection; no limit where gc cannot say (CPython)."""
    import gc

    gc.collect()
    free = getattr(gc, "mem_free", None)
    return free() if free is not None else 1 << 30


def _file_size(path):
    import os

    return os.stat(path)[6]  # OSError ENOENT when missing


class NotADie(Exception):
    pass


def _check_die(info):
    """NotADie unless the model draws what the display and the judge expect: the die's
    N_FACES faces at OUT_H x OUT_W."""
    h, w = info["image"]
    if info["faces"] != N_FACES or (h, w) != (OUT_H, OUT_W):
        raise NotADie("it draws %d faces at %dx%d; the die needs %d faces at %dx%d" % (
            info["faces"], w, h, N_FACES, OUT_W, OUT_H))


def _errno_name(e):
    code = e.args[0] if e.args else None
    return {2: "ENOENT", 5: "EIO", 19: "ENODEV", 110: "ETIMEDOUT", 116: "ETIMEDOUT"}.get(code, str(e))


class App:
    def __init__(self, board, overrides=None, hooks=None, blob=None):
        """board: the board interface (docs/device.md); hooks: optional on_frame / on_roll callbacks;
        blob: MODEL_PATH's bytes when already read (main() reads them first, while the heap is whole)."""
        self.board = board
        self._blob = blob
        self.cfg = cfg = Config(overrides)
        self.clock = board.clock
        self.hooks = hooks
        self.rng = pdrandom.Rng(board.random_bytes)
        self.button = pdbutton.Button(board.button_pin, board.clock, board.button_active,
                                      cfg.DEBOUNCE_MS, cfg.LONG_PRESS_MS)
        self.button_irq = bool(cfg.BUTTON_IRQ) and board.attach_button_irq(self.button.irq)
        self.images = [bytearray(OUT_W * OUT_H) for _ in range(2)]  # (32, 32) uint8 per die
        self.faces = [0, 0]  # the last roll (0: none yet)
        self.codes = [0, 0]
        self.rolls = 0
        self.last = None  # record of the last roll
        self.state = IDLE
        self.model = None
        self.backend = None
        self.model_error = None
        self._model_bytes = 0  # the loaded model's blob and scratch: freed when another replaces it
        self.display = None
        self.view = None
        self._display_error = None
        self._next_display_try = 0
        self._menu_item = 0
        self._menu_skip_release = False
        self._menu_since = 0
        self._long_seen = False
        self._die_on_screen = False  # False: a message covers the screen (clear it before a die)
        self._frame_us_est = None  # a tumble frame's time: the last roll's median (its first frame at first)
        self._pending_press = False  # a press during a roll: one more roll when it ends
        self._failure = None  # the last error tick() reported (said once while it repeats)
        self._fault_shown = False  # the entropy source's fault (pdrandom) was put on the screen

    # --- start-up -------------------------------------------------------------

    def start(self):
        irq = self.button_irq  # "hard", "scheduled" (pdboard_micropython), True (another board), False
        _say("board %s, entropy %s, button %s" % (self.board.name, self.board.entropy,
                                                   "polled" if not irq else "IRQ" if irq is True
                                                   else "IRQ (%s)" % irq))
        self.load_model()
        self.find_display()
        self.redraw()
        self._time_an_image()

    def _time_an_image(self):
        """Plan the first roll from one timed image, so a slow backend's first roll is not a
        tumble of MAX_FRAMES (viper on a Pico: 1 s an image). Pure Python (a minute an image on a
        Pico) is not timed: its rolls show the final face alone until one has been timed."""
        if self.model is None:
            return
        if self.backend == "python":
            self._frame_us_est = self.cfg.ROLL_MS * 1000
            return
        clock = self.clock
        t = clock.ticks_us()
        self.model.generate(1, 0, self.images[1])
        self._frame_us_est = clock.ticks_diff(clock.ticks_us(), t)

    def load_model(self):
        """Read MODEL_PATH and load it with BACKEND (None: the best available); on failure keep a
        message. A model the heap cannot hold is refused before the loaded one (if any) is
        dropped; the full plan is taken only where its scratch fits the heap left beside the app."""
        cfg = self.cfg
        import gc

        path = cfg.MODEL_PATH
        error = None
        try:
            size = _file_size(path)
            gc.collect()
            room = _mem_free() + self._model_bytes - cfg.APP_RESERVE
            if size > room:
                error = "%s (%d bytes) is over the %d bytes of heap free for a model" % (path, size, room)
        except OSError as e:
            error = self._os_error(e)
        if error is not None and self.model is not None:
            _say("model not changed: " + error)  # the die keeps the model it has
            return False
        self.model = None
        self.backend = None
        self.model_error = error
        self._model_bytes = 0
        blob = None
        if error is None:
            try:
                blob = self._blob if self._blob is not None and len(self._blob) == size else None
                self._blob = None
                if blob is None:
                    gc.collect()
                    with open(path, "rb") as f:
                        blob = f.read(size)  # one block of the file's size (read() grows one in steps)
                import pdinfer

                budget = getattr(self.board, "scratch_budget", None)
                if budget is not None:  # the full plan only where its scratch leaves the app its heap
                    gc.collect()
                    budget = max(0, min(budget, _mem_free() - cfg.APP_RESERVE - cfg.FULL_PLAN_RESERVE))
                self.model, self.backend = pdinfer.load(blob, cfg.BACKEND, cfg.PLAN, budget)
                for name in getattr(pdinfer, "unavailable", {}):
                    _say("backend %s unavailable (%s)" % (name, pdinfer.unavailable[name]))
                info = self.model.info()
                _check_die(info)
                import pdcores

                self.model, alone = pdcores.split(self.model, getattr(self.board, "cores", 1))
                self._model_bytes = len(blob) + info["scratch"]
                _say("model %s (%d bytes), backend %s, plan %s (%d bytes of scratch), %s" % (
                    path, len(blob), self.backend, info["plan"], info["scratch"],
                    "1 core: " + alone if alone else "2 cores"))
            except MemoryError:
                gc.collect()
                self.model_error = "%s (%d bytes) and its scratch do not fit in the %d bytes of free heap" % (
                    path, size, _mem_free())
            except OSError as e:
                self.model_error = self._os_error(e)
            except ImportError as e:  # the named backend (or every backend) cannot run here
                self.model_error = "no inference backend: %s" % (e,)
            except NotADie as e:
                self.model_error = "%s is not a die model: %s" % (path, e)
            except ValueError as e:  # pdblob.BlobError: a corrupt, torn or foreign file
                self.model_error = "%s is corrupt: %s" % (path, e)
            except Exception as e:  # anything else a backend raises: report it, keep rolling
                self.model_error = "%s unusable: %s: %s" % (path, type(e).__name__, e)
        blob = None
        if self.model_error:
            self.model = None
            self._model_bytes = 0
            _say("no model: " + self.model_error + ". Rolling without pictures; copy a model"
                 " (pipdream deploy) and reset.")
        return self.model is not None

    def _os_error(self, e):
        path = self.cfg.MODEL_PATH
        if e.args and e.args[0] == 2:
            return "%s not found" % path
        return "%s unreadable: %s" % (path, _errno_name(e))

    def find_display(self):
        """Try to open the display; report only when its state changes."""
        self._next_display_try = self.clock.ticks_add(self.clock.ticks_ms(), self.cfg.DISPLAY_RETRY_MS)
        try:
            d = self.board.open_display()
            self._setup_display(d)
        except OSError as e:
            self._lost_display(e)
            return False
        _say("display found%s%s" % ("" if getattr(d, "addr", None) is None else " at 0x%02X" % d.addr,
                                    getattr(d, "transport", "")))  # e.g. pdi2c_dma: windows by DMA
        self._display_error = None
        return True

    def _setup_display(self, d):
        cfg = self.cfg
        view = pdview.View(d, cfg.DICE, cfg.SCALE, cfg.DITHER, cfg.THRESHOLD, cfg.NUMBER)
        if hasattr(d, "contrast"):
            d.contrast(cfg.CONTRAST)
        if cfg.ROTATE and hasattr(d, "rotate"):
            d.rotate(False)  # micropython-lib semantics: rotate(True) is the power-on orientation
        self.display = d
        self.view = view
        self._die_on_screen = False

    def _lost_display(self, e):
        first = self._display_error is None
        self.display = None
        self.view = None
        self._display_error = e
        if first:
            _say("no display: %s: %s. Rolling on the console; looking again every %d ms."
                 % (self.board.display_info, _errno_name(e), self.cfg.DISPLAY_RETRY_MS))

    def _display_call(self, fn, *args):
        """Run a display operation; an OSError means the display went away."""
        if self.view is None:
            return None
        try:
            return fn(*args)
        except OSError as e:
            self._lost_display(e)
            return None

    # --- screens --------------------------------------------------------------

    def redraw(self):
        """Show what the current state should show (after start-up, a found display, settings)."""
        if self.view is None:
            return
        if self.state == SETTINGS:
            self._show_menu()
        elif self.model_error:
            self._show_model_error()
        elif self.faces[0]:
            self._clear_for_dice()
            self._display_call(self.view.frame, self.images, self.faces)
        else:
            self._message(["pipdream", "", "press to roll"])

    def _message(self, lines):
        self._die_on_screen = False
        if self.view is not None:  # no display (the settings menu opens without one too)
            self._display_call(self.view.message, lines)

    def _clear_for_dice(self):
        """Blank the screen once after a message, so no text is left around the dice."""
        if not self._die_on_screen and self.view is not None:
            self._die_on_screen = True
            self._display_call(self.view.clear)

    def _show_model_error(self):
        cols = self.display.width // 8
        lines = ["no model:"] + _wrap(self.model_error, cols)
        rows = self.display.height // 8
        lines = lines[: rows - 1 if self.faces[0] else rows]
        if self.faces[0]:
            lines.append("rolled " + " ".join(str(f) for f in self.faces[: self.cfg.DICE]))
        self._message(lines)

    def _show_fault(self, faces):
        """The entropy source's fault on the screen once, with the roll; the next press clears it.
        True when shown (False without a display: tried again after the next roll)."""
        if self.view is None:
            return False
        rows = self.display.height // 8
        lines = ["entropy:"] + _wrap(self.rng.fault, self.display.width // 8)[: rows - 2]
        self._message(lines + ["rolled " + " ".join(str(f) for f in faces)])
        return True

    # --- the loop -------------------------------------------------------------

    def run(self, rolls=None):
        """Start, then loop forever (or until `rolls` rolls have been made)."""
        self.start()
        while rolls is None or self.rolls < rolls:
            self.tick()
            self.clock.sleep_ms(self.cfg.POLL_MS)

    def tick(self):
        """step(), surviving anything it raises (a MemoryError in a roll, a driver's bug): the
        error is reported on the console and the screen, memory collected, and the next press
        rolls again. SystemExit and KeyboardInterrupt still stop the app."""
        try:
            self.step()
            self._failure = None
        except Exception as e:  # noqa: BLE001 - the die must outlive any one roll
            self._failed(e)

    def _failed(self, e):
        import gc

        gc.collect()  # a MemoryError leaves the heap full of the failed roll's garbage
        self.state = IDLE
        what = "%s: %s" % (type(e).__name__, e)
        if what == self._failure:
            return  # the same failure again: said already
        self._failure = what
        _say("roll failed: %s. Press to roll again." % what)
        if self.view is not None:
            try:
                rows = self.display.height // 8
                self._message(["roll failed:"] + _wrap(what, self.display.width // 8)[: rows - 2]
                              + ["press to roll"])
            except Exception:  # noqa: BLE001 - the screen is a courtesy here; the console has it
                pass

    def step(self):
        """One pass of the idle loop: button, display retry, settings timeout."""
        clock = self.clock
        now = clock.ticks_ms()
        ev = self.button.poll(now)
        if self.view is None and clock.ticks_diff(now, self._next_display_try) >= 0:
            if self.find_display():
                self.redraw()
        if self.state == SETTINGS:
            self._menu_event(ev, now)
        elif ev == pdbutton.PRESS or self._pending_press:
            self._pending_press = False
            self.rng.stir(clock.ticks_us())
            self.roll()
            if self._long_seen and self.button.pressed:
                self._pending_press = False
                self._enter_menu()
        elif ev == pdbutton.LONG:
            self._enter_menu()

    def roll(self):
        """Roll every die: pick faces and angles, animate the tumble, hold the result. Returns the record."""
        cfg = self.cfg
        clock = self.clock
        rng = self.rng
        n_dice = cfg.DICE
        faces = [rng.face() for _ in range(n_dice)]
        codes = [rng.angle_code() for _ in range(n_dice)]
        tumbles = [pdtumble.Tumble(rng, faces[d], codes[d], cfg.MAX_FRAMES, cfg.TURNS, cfg.SETTLE_FRAMES,
                                   cfg.FACE_HOLD_FRAMES) for d in range(n_dice)]
        self._long_seen = False
        # [frame] its time in us, filled in place: the frame loop allocates nothing
        frame_us = [0] * max(cfg.MAX_FRAMES, cfg.MIN_FRAMES, 2)
        sent = 0
        animate = self.model is not None and self.view is not None
        if not animate:
            n = 1  # no display or no model: just the result
        elif self._frame_us_est is None:
            n = cfg.MAX_FRAMES  # until the first frame has been timed
        else:
            n = self._frames_for(self._frame_us_est)
        shown = [0] * n_dice
        codes_now = [0] * n_dice
        i = 0
        if self.model is not None:
            self._clear_for_dice()
        # frames start on a FRAME_MS grid, not FRAME_MS after the last one began: pacing each frame
        # from its own (millisecond) start would add up to 1 ms a frame
        slot = clock.ticks_ms()
        while i < n:
            t_us = clock.ticks_us()
            final = i == n - 1
            for d in range(n_dice):
                shown[d] = tumbles[d].face_at(i, n)
                codes_now[d] = tumbles[d].code_at(i, n)
            sent += self._frame(shown, codes_now, final)
            frame_us[i] = clock.ticks_diff(clock.ticks_us(), t_us)
            if i == 0 and animate and self._frame_us_est is None:  # timed: as many frames as fit ROLL_MS
                self._frame_us_est = frame_us[0]
                if not final:
                    n = max(2, self._frames_for(frame_us[0]))
            if self.hooks is not None and hasattr(self.hooks, "on_frame"):
                self.hooks.on_frame(self, i, n, shown, codes_now)
            self._pace(slot, 0 if final else cfg.FRAME_MS)
            slot = clock.ticks_add(slot, cfg.FRAME_MS)
            now = clock.ticks_ms()
            if clock.ticks_diff(now, slot) > 0:
                slot = now  # a frame ran over: the grid starts again, no burst to catch up
            i += 1
        frame_us = frame_us[:n]
        if animate and n > 1:
            # the next roll is planned on this one's typical frame: the first frame is no guide (on a
            # Pico it waits for the screen's clear to leave by DMA), nor the last (no tumble after it)
            self._frame_us_est = sorted(frame_us[:-1])[(len(frame_us) - 2) // 2]
        self.faces[:n_dice] = faces
        self.codes[:n_dice] = codes
        self.rolls += 1
        rec = {
            "roll": self.rolls,
            "face": faces[0],
            "angle": codes[0],
            "faces": faces,
            "angles": codes,
            "frames": len(frame_us),
            "backend": self.backend,
            "frame_us": frame_us,
            "display": self.view is not None,
            "bytes_sent": sent,
        }
        self.last = rec
        if cfg.CONSOLE:
            _say("roll %d: %s (angle %s, %d frames, %s)" % (
                self.rolls, " ".join(str(f) for f in faces), " ".join(str(c) for c in codes),
                len(frame_us), self.backend or "no model"))
        if self.model_error and self.view is not None:
            self._show_model_error()
        if self.rng.fault is not None and not self._fault_shown:  # the console has it already
            self._fault_shown = self._show_fault(faces)
        if self.hooks is not None and hasattr(self.hooks, "on_roll"):
            self.hooks.on_roll(self, rec)
        return rec

    def _frames_for(self, frame_us):
        """Frames in a roll when each takes frame_us: about ROLL_MS in all, FRAME_MS at least each."""
        cfg = self.cfg
        per = max(cfg.FRAME_MS, frame_us // 1000, 1)
        return max(cfg.MIN_FRAMES, min(cfg.MAX_FRAMES, cfg.ROLL_MS // per))

    def _frame(self, faces, codes, final):
        """Generate and draw one frame of every die; returns the image bytes sent to the display."""
        model = self.model
        if model is None:
            return 0
        view = self.view
        shown = faces if final and self.cfg.NUMBER else _NO_NUMBERS
        lock = self.cfg.HEAP_LOCK
        if lock:
            import micropython

            micropython.heap_lock()
        try:
            for d in range(len(faces)):
                model.generate(faces[d], codes[d], self.images[d])
            if view is not None:
                view.draw(self.images, shown)
        finally:
            if lock:
                micropython.heap_unlock()
        if view is None:
            return 0
        try:  # not _display_call(view.flush): a bound method is an allocation every frame
            return view.flush() or 0
        except OSError as e:
            self._lost_display(e)
            return 0

    def _pace(self, t0, frame_ms):
        """Wait out the rest of the frame while keeping the button debounced (a long press is noted)."""
        clock = self.clock
        while True:
            now = clock.ticks_ms()
            ev = self.button.poll(now)
            if ev == pdbutton.LONG:
                self._long_seen = True
            elif ev == pdbutton.PRESS:  # pressed again while the die tumbles: roll again after
                self._pending_press = True
            left = frame_ms - clock.ticks_diff(now, t0)
            if left <= 0:
                return
            clock.sleep_ms(min(left, self.cfg.POLL_MS))

    # --- settings menu --------------------------------------------------------

    def _enter_menu(self):
        self.state = SETTINGS
        self._menu_item = 0
        self._menu_skip_release = True  # the release of the press that opened the menu
        self._menu_since = self.clock.ticks_ms()
        _say("settings: press to change, hold for the next item")
        self._show_menu()

    def _menu_event(self, ev, now):
        if ev == pdbutton.LONG:
            self._menu_skip_release = True
            self._menu_item += 1
            if self._menu_item >= len(_MENU):
                self._leave_menu()
                return
        elif ev == pdbutton.RELEASE:
            if self._menu_skip_release:
                self._menu_skip_release = False
                return
            _, name, values, _ = _MENU[self._menu_item]
            k = values.index(getattr(self.cfg, name)) if getattr(self.cfg, name) in values else -1
            setattr(self.cfg, name, values[(k + 1) % len(values)])
        elif ev == pdbutton.NONE:
            if self.clock.ticks_diff(now, self._menu_since) >= self.cfg.SETTINGS_TIMEOUT_MS:
                self._leave_menu()
            return
        self._menu_since = now
        self._show_menu()

    def _show_menu(self):
        lines = ["settings"]
        for j in range(len(_MENU)):
            label, name, values, labels = _MENU[j]
            v = getattr(self.cfg, name)
            text = labels[values.index(v)] if v in values else str(v)
            lines.append(("> " if j == self._menu_item else "  ") + label + " " + text)
        w = max(len(line) for line in lines[1:])
        self._message([lines[0]] + [line + " " * (w - len(line)) for line in lines[1:]])  # one column

    def _leave_menu(self):
        self.state = IDLE
        cfg = self.cfg
        _say("settings: dither %s, number %s, dice %d"
             % (cfg.DITHER, "on" if cfg.NUMBER else "off", cfg.DICE))
        self.faces[0] = self.faces[1] = 0  # the held roll may no longer fit the layout
        self._frame_us_est = None  # two dice take longer per frame
        if self.display is not None:
            try:
                self._setup_display(self.display)
            except (OSError, ValueError) as e:
                self._lost_display(e if isinstance(e, OSError) else OSError(22, str(e)))
        self.redraw()


_NO_NUMBERS = (0, 0)


def find_board():
    """The board module: pdboard (what `pipdream deploy --board B` installs), else one for this port."""
    try:
        import pdboard
    except ImportError as e:
        if "pdboard" not in str(e):
            raise  # pdboard exists but something it imports is missing
        pdboard = _detect_board()
    return pdboard.build()


def _port():
    """(sys.platform, "circuitpython" on CircuitPython; os.uname().machine, "" where there is none)."""
    import sys

    try:
        import os

        machine = os.uname().machine
    except (ImportError, AttributeError):
        machine = ""
    return ("circuitpython" if sys.implementation.name == "circuitpython" else sys.platform), machine


def _mcu(machine):
    """The MCU os.uname().machine names after " with " ("RP2040" of "Raspberry Pi Pico W with RP2040")."""
    i = machine.rfind(" with ")
    return machine[i + 6:].lower() if i >= 0 else ""


def _board_modules():
    """The board_<name> modules on the import path (package.json installs every one), sorted."""
    import os
    import sys

    names = []
    for d in sys.path:
        try:
            entries = os.listdir(d or ".")
        except (OSError, TypeError):  # a path entry that is not a folder (a frozen module's ".frozen")
            continue
        for f in entries:
            stem = f[:f.rfind(".")] if f.endswith(".py") or f.endswith(".mpy") else ""
            if stem.startswith("board_") and stem not in names:
                names.append(stem)
    names.sort()
    return names


def _detect_board():
    """The board module whose PORT is this port and whose MACHINE names this board's MCU."""
    platform, machine = _port()
    mcu = _mcu(machine)
    tried = _board_modules()
    for name in tried:
        module = __import__(name)
        if getattr(module, "PORT", None) == platform and mcu and _mcu(getattr(module, "MACHINE", "")) == mcu:
            return module
    seen = "sys.platform %s%s" % (platform, ", machine " + machine if machine else "")
    which = "none of " + ", ".join(tried) + " is" if tried else "no pdboard.py and no board_*.py"
    raise ImportError("no board module: %s for this board (%s): copy boards/board_<name>.py to the board"
                      " as pdboard.py (pipdream deploy --board <name>)" % (which, seen))


def read_model(cfg):
    """MODEL_PATH's bytes, read before anything else takes the heap (its small objects leave no
    block the blob's size free later); None when it is missing or over the free heap (load_model
    then says why)."""
    import gc

    try:
        size = _file_size(cfg.MODEL_PATH)
        gc.collect()
        if size > _mem_free() - cfg.APP_RESERVE:
            return None
        with open(cfg.MODEL_PATH, "rb") as f:
            return f.read(size)
    except (OSError, MemoryError):
        return None


def main(overrides=None, board=None):
    """Entry point of main.py."""
    blob = read_model(Config(overrides))
    if board is None:
        try:
            board = find_board()
        except ImportError as e:
            _say(str(e))
            return
    App(board, overrides, blob=blob).run()
