"""The friendly REPL's line editor, as MicroPython's firmware does it.

A port of shared/readline/readline.c (VT100 redraw, history, auto-indent,
tab to four spaces) and of py/repl.c's `mp_repl_continue_with_input`, so a
terminal attached to the emulator sees byte for byte what a board sends.
Not ported: tab completion of names (it needs the interpreter's qstr table).
"""

from __future__ import annotations

from collections.abc import Callable

CTRL_A, CTRL_B, CTRL_C, CTRL_D, CTRL_E = 1, 2, 3, 4, 5
HISTORY_SIZE = 8  # MICROPY_READLINE_HISTORY_SIZE on the rp2 and esp32 ports

_ESEQ_NONE, _ESEQ_ESC, _ESEQ_BRACKET, _ESEQ_BRACKET_DIGIT, _ESEQ_O = range(5)
_AUTO_INDENT_ENABLED, _AUTO_INDENT_JUST_ADDED = 1, 2
_COMPOUND = ("if", "while", "for", "try", "with", "def", "class", "async")


def _starts_with_word(s: str, word: str) -> bool:
    return s.startswith(word) and (len(s) == len(word) or not (s[len(word)].isalnum() or s[len(word)] == "_"))


def continue_with_input(text: str) -> bool:
    """True when the REPL must ask for another line (py/repl.c rules)."""
    if not text:
        return False
    compound = text[0] == "@" or any(_starts_with_word(text, w) for w in _COMPOUND)
    paren = brack = brace = 0
    quote = None  # one of ', ", ''', """
    i = 0
    while i < len(text):
        c = text[i]
        if c in "'\"":
            if quote in (None, c * 3) and text[i:i + 3] == c * 3:
                quote = None if quote else c * 3
                i += 2
            elif quote in (None, c):
                quote = None if quote else c
        elif c == "\\" and text[i + 1:i + 2] in ("'", '"', "\\"):
            if quote:
                i += 1
        elif quote is None:
            paren += (c == "(") - (c == ")")
            brack += (c == "[") - (c == "]")
            brace += (c == "{") - (c == "}")
        i += 1
    if quote in ("'''", '"""'):
        return True
    if (paren > 0 or brack > 0 or brace > 0) and quote is None:
        return True
    if text.endswith("\\"):
        return True
    return compound and not text.endswith("\n")


class LineEditor:
    """One readline session at a time; `process` returns a key code or -1.

    `line` accumulates the whole (possibly multi-line) input, as the
    firmware's vstr does; `orig_len` marks where the current line starts.
    """

    def __init__(self, write: Callable[[bytes], None]) -> None:
        self._write = write
        self.history: list[str] = []
        self.line = ""
        self.orig_len = 0
        self.cursor = 0
        self.prompt = ""
        self._eseq = _ESEQ_NONE
        self._eseq_digit = ""
        self._hist_cur = -1
        self._auto_indent = 0

    # -- session control (readline_init / readline_note_newline) --------
    def init(self, prompt: str, line: str = "") -> None:
        self.line = line
        self.orig_len = len(line)
        self.cursor = self.orig_len
        self.prompt = prompt
        self._eseq = _ESEQ_NONE
        self._hist_cur = -1
        self._write(prompt.encode())
        if not line:
            self._auto_indent = _AUTO_INDENT_ENABLED
        self._do_auto_indent()

    def note_newline(self, prompt: str) -> None:
        self.orig_len = len(self.line)
        self.cursor = self.orig_len
        self.prompt = prompt
        self._write(prompt.encode())
        self._do_auto_indent()

    def _do_auto_indent(self) -> None:
        if not self._auto_indent & _AUTO_INDENT_ENABLED:
            return
        line = self.line
        if len(line) > 1 and line[-1] == "\n":
            i = len(line) - 1
            while i > 0 and line[i - 1] != "\n":
                i -= 1
            j = i
            while j < len(line) and line[j] == " ":
                j += 1
            if i > 0 and j + 1 == len(line):
                # previous line is all spaces: stop if the one before is too
                k = i - 1
                while k > 0:
                    if line[k - 1] == "\n":
                        return
                    if line[k - 1] != " ":
                        break
                    k -= 1
            n = (j - i) // 4 + (1 if line[-2] == ":" else 0)
            for _ in range(n):
                self.line += "    "
                self._write(b"    ")
                self.cursor += 4
                self._auto_indent |= _AUTO_INDENT_JUST_ADDED

    def _push_history(self, entry: str) -> None:
        if entry and (not self.history or self.history[0] != entry):
            self.history.insert(0, entry)
            del self.history[HISTORY_SIZE:]

    def _move_back(self, n: int) -> None:
        if n <= 0:
            return
        self._write(b"\b" * n if n <= 4 else b"\x1b[%dD" % n)

    # -- one input byte (readline_process_char) -------------------------
    def process(self, c: int) -> int:
        last_len = len(self.line)
        back = fwd = 0
        from_cursor = False
        if self._eseq == _ESEQ_NONE:
            if CTRL_A <= c <= CTRL_E and len(self.line) == self.orig_len:
                return c
            if c == CTRL_A:
                back = self.cursor - self.orig_len
            elif c == CTRL_B:
                back = 1 if self.cursor > self.orig_len else 0
            elif c == CTRL_C:
                return c
            elif c == CTRL_D:
                if self.cursor < len(self.line):
                    self.line = self.line[:self.cursor] + self.line[self.cursor + 1:]
                    from_cursor = True
            elif c == CTRL_E:
                fwd = len(self.line) - self.cursor
            elif c == 6:  # CTRL-F
                fwd = 1 if self.cursor < len(self.line) else 0
            elif c == 11:  # CTRL-K
                self.line = self.line[:self.cursor]
                from_cursor = True
            elif c == 21:  # CTRL-U
                back = self.cursor - self.orig_len
                self.line = self.line[:self.orig_len] + self.line[self.cursor:]
                from_cursor = True
            elif c == 14 or c == 16:  # CTRL-N / CTRL-P
                return self._history_step(+1 if c == 16 else -1)
            elif c == 13:
                self._write(b"\r\n")
                self._push_history(self.line[self.orig_len:])
                return 0
            elif c == 27:
                self._eseq = _ESEQ_ESC
            elif c in (8, 127):
                if self.cursor > self.orig_len:
                    seg = self.line[self.orig_len:self.cursor]
                    nspace = 4 if len(seg) >= 4 and seg == " " * len(seg) else 1
                    self.line = self.line[:self.cursor - nspace] + self.line[self.cursor:]
                    back = nspace
                    from_cursor = True
            elif self._auto_indent & _AUTO_INDENT_JUST_ADDED and c in (9, 32):
                # typing indentation yourself after an auto-indent cancels it
                self._auto_indent = 0
                if c == 32:
                    back = 3
                    self.line = self.line[:-3]
            elif c == 9:
                if self.line and self.line[self.cursor - 1].isspace():
                    self.line = self.line[:self.cursor] + "    " + self.line[self.cursor:]
                    from_cursor, fwd = True, 4
            elif 32 <= c <= 126:
                self.line = self.line[:self.cursor] + chr(c) + self.line[self.cursor:]
                from_cursor, fwd = True, 1
        elif self._eseq == _ESEQ_ESC:
            self._eseq = {ord("["): _ESEQ_BRACKET, ord("O"): _ESEQ_O}.get(c, _ESEQ_NONE)
        elif self._eseq == _ESEQ_BRACKET:
            self._eseq = _ESEQ_NONE
            if ord("0") <= c <= ord("9"):
                self._eseq, self._eseq_digit = _ESEQ_BRACKET_DIGIT, chr(c)
            elif c in (ord("A"), ord("B")):
                return self._history_step(+1 if c == ord("A") else -1)
            elif c == ord("C"):
                fwd = 1 if self.cursor < len(self.line) else 0
            elif c == ord("D"):
                back = 1 if self.cursor > self.orig_len else 0
            elif c == ord("H"):
                back = self.cursor - self.orig_len
            elif c == ord("F"):
                fwd = len(self.line) - self.cursor
        elif self._eseq == _ESEQ_BRACKET_DIGIT:
            self._eseq = _ESEQ_NONE
            if c == ord("~"):
                if self._eseq_digit in "17":
                    back = self.cursor - self.orig_len
                elif self._eseq_digit in "48":
                    fwd = len(self.line) - self.cursor
                elif self._eseq_digit == "3" and self.cursor < len(self.line):
                    self.line = self.line[:self.cursor] + self.line[self.cursor + 1:]
                    from_cursor = True
        elif self._eseq == _ESEQ_O:
            self._eseq = _ESEQ_NONE
            if c == ord("H"):
                back = self.cursor - self.orig_len
            elif c == ord("F"):
                fwd = len(self.line) - self.cursor
        self._redraw(last_len, back, from_cursor, fwd)
        return -1

    def _history_step(self, step: int) -> int:
        new = self._hist_cur + step
        if step > 0 and not new < len(self.history):
            return -1
        if step < 0 and self._hist_cur < 0:
            return -1
        last_len = len(self.line)
        self._hist_cur = new
        back = self.cursor - self.orig_len
        self.line = self.line[:self.orig_len] + (self.history[new] if new >= 0 else "")
        self._redraw(last_len, back, True, len(self.line) - self.orig_len)
        return -1

    def _redraw(self, last_len: int, back: int, from_cursor: bool, fwd: int) -> None:
        if back > 0:
            self._move_back(back)
            self.cursor -= back
        if from_cursor:
            if len(self.line) < last_len:
                self._write(b"\x1b[K")
            self._write(self.line[self.cursor:].encode())
            self._move_back(len(self.line) - (self.cursor + fwd))
            self.cursor += fwd
        elif fwd > 0:
            self._write(self.line[self.cursor:self.cursor + fwd].encode())
            self.cursor += fwd
        self._auto_indent &= ~_AUTO_INDENT_JUST_ADDED
