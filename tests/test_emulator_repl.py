"""The emulated board's REPL, byte for byte as MicroPython's firmware sends it
(shared/runtime/pyexec.c, shared/readline/readline.c, a port's main.c)."""

from __future__ import annotations

import time

from support.emulator import Port, board, port  # noqa: F401 - fixtures

RAW_BANNER = b"raw REPL; CTRL-B to exit\r\n>"


def friendly(port):  # noqa: F811
    """Interrupt whatever runs and get a fresh friendly prompt (and nothing else pending)."""
    port.write(b"\r\x03\x02")
    port.settle(b'Type "help()" for more information.\r\n>>> ')


def raw(port):  # noqa: F811
    """Interrupt whatever runs and enter the raw REPL (what mpremote does first)."""
    port.send(b"\r\x03\x01", RAW_BANNER)


def test_the_friendly_repl_echoes_evaluates_and_continues_blocks(board, port):  # noqa: F811
    friendly(port)
    assert port.send(b"x = 6 * 7\r", b">>> ") == b"x = 6 * 7\r\n>>> "
    assert port.send(b"x\r", b">>> ") == b"x\r\n42\r\n>>> "
    # Auto-indent after a block's header; as on a board, the blank lines after the block are
    # auto-indented too, until two in a row.
    assert port.send(b"for i in range(2):\r", b"...     ") == b"for i in range(2):\r\n...     "
    assert port.send(b"print(i * 10)\r\r\r\r", b">>> ") == (
        b"print(i * 10)\r\n...     \r\n...     \r\n... \r\n0\r\n10\r\n>>> ")


def test_ctrl_c_cancels_a_line_and_interrupts_a_running_program(board, port):  # noqa: F811
    friendly(port)
    assert port.send(b"half a li\x03", b">>> ") == b"half a li\r\n>>> "
    port.send(b"while True: pass\r\r", b"... \r\n")
    t0 = time.monotonic()
    while not board.running:  # a Ctrl-C typed before the program starts is only data
        assert time.monotonic() - t0 < 10
        time.sleep(0.01)
    out = port.send(b"\x03", b">>> ")
    assert out.endswith(b'Traceback (most recent call last):\r\n  File "<stdin>", line 1, in <module>\r\n'
                        b"KeyboardInterrupt: \r\n>>> ")


def test_paste_mode_runs_the_block_as_a_file(board, port):  # noqa: F811
    friendly(port)
    assert port.send(b"\x05", b"=== ") == b"\r\npaste mode; Ctrl-C to cancel, Ctrl-D to finish\r\n=== "
    assert port.send(b"if True:\r    print('pasted')\r\x04", b">>> ").endswith(b"\r\npasted\r\n>>> ")


def test_raw_repl_framing_ok_output_eof_errors_eof_prompt(board, port):  # noqa: F811
    raw(port)
    assert port.send(b"print('a')\x04", b">") == b"OKa\r\n\x04\x04>"
    assert port.send(b"print('b')\r\nraise ValueError('no')\x04", b"\x04>") == (
        b'OKb\r\n\x04Traceback (most recent call last):\r\n  File "<stdin>", line 2, in <module>\r\n'
        b"ValueError: no\r\n\x04>")
    # Ctrl-C clears the line being received
    assert port.send(b"junk\x03print('c')\x04", b">") == b"OKc\r\n\x04\x04>"
    assert port.send(b"\x02", b">>> ").startswith(b"\r\nMicroPython ")


def test_raw_paste_grants_windows_of_128_bytes(board, port):  # noqa: F811
    raw(port)
    assert port.send(b"\x05A\x01", b"R\x01\x80\x00\x01")  # supported, window 128, and a second window free
    src = b"print(len('" + b"z" * 300 + b"'))"
    # two windows: all that may be sent before the board grants more
    assert port.send(src[:256], b"\x01\x01") == b"\x01\x01"
    assert port.send(src[256:] + b"\x04", b"\x04>") == b"\x04300\r\n\x04\x04>"


def test_raw_paste_bytes_beyond_the_window_are_lost_as_on_a_board(board, port):  # noqa: F811
    raw(port)
    port.send(b"\x05A\x01", b"R\x01\x80\x00\x01")
    # A sender that ignores the window overflows the stdin buffer.
    port.send(b"x = 1 # " + b"!" * 2000 + b"\nprint(x)\x04", b"\x04>")
    assert any("flow control violated" in m for m in board.logs)


def test_soft_reset_reruns_boot_py_and_main_py_only_from_the_friendly_repl(board, port):  # noqa: F811
    (board.root / "boot.py").write_text("print('boot ran')\n")
    (board.root / "main.py").write_text("print('main ran')\nfrom_main = 7\n")
    raw(port)
    # soft reset from the raw REPL (what mpremote does): boot.py only
    assert port.send(b"\x04", RAW_BANNER) == b"OK\r\nMPY: soft reboot\r\nboot ran\r\n" + RAW_BANNER
    port.send(b"\x02", b">>> ")
    # soft reset from the friendly REPL: boot.py, then main.py, then the REPL
    out = port.send(b"\x04", b">>> ")
    assert out.startswith(b"\r\nMPY: soft reboot\r\nboot ran\r\nmain ran\r\nMicroPython ")
    assert b"; Raspberry Pi Pico with RP2040\r\n" in out
    # main.py ran in the REPL's globals
    assert port.send(b"from_main\r", b">>> ") == b"from_main\r\n7\r\n>>> "


def test_a_main_py_that_raises_prints_its_traceback_at_every_soft_reset(board, port):  # noqa: F811
    """As pyexec_file_if_exists does on a board: the file's traceback, then the REPL."""
    (board.root / "main.py").write_text('print("hello")\nraise ValueError("boom")\n')
    friendly(port)
    for _ in range(2):
        out = port.send(b"\x04", b">>> ")
        assert out.startswith(b"\r\nMPY: soft reboot\r\nhello\r\nTraceback (most recent call last):\r\n"
                              b'  File "main.py", line 2, in <module>\r\n'
                              b"ValueError: boom\r\nMicroPython "), out


def test_a_boot_py_that_raises_prints_its_traceback_and_main_py_does_not_run(board, port):  # noqa: F811
    (board.root / "boot.py").write_text("import no_such_module\n")
    (board.root / "main.py").write_text('print("main ran")\n')
    friendly(port)
    for _ in range(2):
        out = port.send(b"\x04", b">>> ")
        said = b'  File "boot.py", line 1, in <module>\r\nImportError: no module named \'no_such_module\'\r\n'
        assert said in out and b"main ran" not in out, out
    port.send(b"\x01", RAW_BANNER)  # from the raw REPL (mpremote's soft reset): boot.py's traceback too
    out = port.send(b"\x04", RAW_BANNER)
    assert out.startswith(b"OK\r\nMPY: soft reboot\r\nTraceback (most recent call last):\r\n"), out


def test_sys_exit_is_a_soft_reset(board, port):  # noqa: F811
    raw(port)
    out = port.send(b"import sys\nsys.exit()\x04", RAW_BANNER)
    assert out == b"OK\x04\x04MPY: soft reboot\r\n" + RAW_BANNER


def test_a_program_reads_what_is_typed_and_the_rest_reaches_the_repl(board, port):  # noqa: F811
    friendly(port)
    port.send(b"name = input('who? ')\r", b"who? ")
    port.send(b"pico\r\n", b">>> ")
    assert port.send(b"name\r", b">>> ") == b"name\r\n'pico'\r\n>>> "
    # Typed while a program runs and not read by it: the REPL gets it afterwards, as from a UART buffer.
    port.write(b"import time; time.sleep(0.5)\r")
    time.sleep(0.1)
    assert port.send(b"1+1\r", b"2\r\n>>> ").endswith(b"1+1\r\n2\r\n>>> ")


def test_a_crashed_interpreter_is_a_hard_reset_not_a_dead_board(board, port):  # noqa: F811
    friendly(port)
    port.write(b"import os; os.system('kill -9 $PPID')\r")  # the MicroPython process dies
    out = port.expect(b">>> ", timeout=15)
    assert b"MicroPython " in out and b"soft reboot" not in out  # a power-on banner
    assert board.crashes == 1 and any("hard reset" in m for m in board.logs)
    assert port.send(b"1+2\r", b">>> ") == b"1+2\r\n3\r\n>>> "


def test_the_port_stays_usable_across_reconnects(board):  # noqa: F811
    for _ in range(2):
        p = Port(board.path)
        friendly(p)
        assert p.send(b"'still here'\r", b">>> ") == b"'still here'\r\n'still here'\r\n>>> "
        p.close()
