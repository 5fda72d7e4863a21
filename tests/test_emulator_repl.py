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


def test_the_friendly_repl_echoes_evaluates_and_continues_blocks(board, port):  # noqa: F811
    friendly(port)
    port.write(b"x = 6 * 7\r")
    assert port.expect(b">>> ") == b"x = 6 * 7\r\n>>> "
    port.write(b"x\r")
    assert port.expect(b">>> ") == b"x\r\n42\r\n>>> "
    port.write(b"for i in range(2):\r")
    assert port.expect(b"...     ") == b"for i in range(2):\r\n...     "  # auto-indent
    # As on a board: the blank lines after a block are auto-indented too, until two in a row.
    port.write(b"print(i * 10)\r\r\r\r")
    assert port.expect(b">>> ") == (b"print(i * 10)\r\n...     \r\n...     \r\n... \r\n"
                                    b"0\r\n10\r\n>>> ")


def test_ctrl_c_cancels_a_line_and_interrupts_a_running_program(board, port):  # noqa: F811
    friendly(port)
    port.write(b"half a li\x03")
    assert port.expect(b">>> ") == b"half a li\r\n>>> "
    port.write(b"while True: pass\r\r")
    port.expect(b"... \r\n")
    t0 = time.monotonic()
    while not board.running:  # a Ctrl-C typed before the program starts is only data
        assert time.monotonic() - t0 < 10
        time.sleep(0.01)
    port.write(b"\x03")
    out = port.expect(b">>> ")
    assert out.endswith(b'Traceback (most recent call last):\r\n  File "<stdin>", line 1, in <module>\r\n'
                        b"KeyboardInterrupt: \r\n>>> ")


def test_paste_mode_runs_the_block_as_a_file(board, port):  # noqa: F811
    friendly(port)
    port.write(b"\x05")
    assert port.expect(b"=== ") == b"\r\npaste mode; Ctrl-C to cancel, Ctrl-D to finish\r\n=== "
    port.write(b"if True:\r    print('pasted')\r\x04")
    assert port.expect(b">>> ").endswith(b"\r\npasted\r\n>>> ")


def test_raw_repl_framing_ok_output_eof_errors_eof_prompt(board, port):  # noqa: F811
    port.write(b"\r\x03\x01")
    port.expect(RAW_BANNER)
    port.write(b"print('a')\x04")
    assert port.expect(b">") == b"OKa\r\n\x04\x04>"
    port.write(b"print('b')\r\nraise ValueError('no')\x04")
    assert port.expect(b"\x04>") == (b"OKb\r\n\x04Traceback (most recent call last):\r\n"
                                      b'  File "<stdin>", line 2, in <module>\r\nValueError: no\r\n\x04>')
    port.write(b"junk\x03print('c')\x04")  # Ctrl-C clears the line being received
    assert port.expect(b">") == b"OKc\r\n\x04\x04>"
    port.write(b"\x02")
    assert port.expect(b">>> ").startswith(b"\r\nMicroPython ")


def test_raw_paste_grants_windows_of_128_bytes(board, port):  # noqa: F811
    port.write(b"\r\x03\x01")
    port.expect(RAW_BANNER)
    port.write(b"\x05A\x01")
    assert port.expect(b"R\x01\x80\x00\x01")  # supported, window 128, and a second window free
    src = b"print(len('" + b"z" * 300 + b"'))"
    port.write(src[:256])  # two windows: all that may be sent before the board grants more
    assert port.expect(b"\x01\x01") == b"\x01\x01"
    port.write(src[256:] + b"\x04")
    assert port.expect(b"\x04>") == b"\x04300\r\n\x04\x04>"


def test_raw_paste_bytes_beyond_the_window_are_lost_as_on_a_board(board, port):  # noqa: F811
    port.write(b"\r\x03\x01")
    port.expect(RAW_BANNER)
    port.write(b"\x05A\x01")
    port.expect(b"R\x01\x80\x00\x01")
    # A sender that ignores the window overflows the stdin buffer.
    port.write(b"x = 1 # " + b"!" * 2000 + b"\nprint(x)\x04")
    port.expect(b"\x04>")
    assert any("flow control violated" in m for m in board.logs)


def test_soft_reset_reruns_boot_py_and_main_py_only_from_the_friendly_repl(board, port):  # noqa: F811
    (board.root / "boot.py").write_text("print('boot ran')\n")
    (board.root / "main.py").write_text("print('main ran')\nfrom_main = 7\n")
    port.write(b"\r\x03\x01")
    port.expect(RAW_BANNER)
    port.write(b"\x04")  # soft reset from the raw REPL (what mpremote does): boot.py only
    assert port.expect(RAW_BANNER) == b"OK\r\nMPY: soft reboot\r\nboot ran\r\n" + RAW_BANNER
    port.write(b"\x02")
    port.expect(b">>> ")
    port.write(b"\x04")  # soft reset from the friendly REPL: boot.py, then main.py, then the REPL
    out = port.expect(b">>> ")
    assert out.startswith(b"\r\nMPY: soft reboot\r\nboot ran\r\nmain ran\r\nMicroPython ")
    assert b"; Raspberry Pi Pico with RP2040\r\n" in out
    port.write(b"from_main\r")  # main.py ran in the REPL's globals
    assert port.expect(b">>> ") == b"from_main\r\n7\r\n>>> "


def test_a_main_py_that_raises_prints_its_traceback_at_every_soft_reset(board, port):  # noqa: F811
    """As pyexec_file_if_exists does on a board: the file's traceback, then the REPL."""
    (board.root / "main.py").write_text('print("hello")\nraise ValueError("boom")\n')
    friendly(port)
    for _ in range(2):
        port.write(b"\x04")
        out = port.expect(b">>> ")
        assert out.startswith(b"\r\nMPY: soft reboot\r\nhello\r\nTraceback (most recent call last):\r\n"
                              b'  File "main.py", line 2, in <module>\r\n'
                              b"ValueError: boom\r\nMicroPython "), out


def test_a_boot_py_that_raises_prints_its_traceback_and_main_py_does_not_run(board, port):  # noqa: F811
    (board.root / "boot.py").write_text("import no_such_module\n")
    (board.root / "main.py").write_text('print("main ran")\n')
    friendly(port)
    for _ in range(2):
        port.write(b"\x04")
        out = port.expect(b">>> ")
        said = b'  File "boot.py", line 1, in <module>\r\nImportError: no module named \'no_such_module\'\r\n'
        assert said in out and b"main ran" not in out, out
    port.write(b"\x01")  # from the raw REPL (mpremote's soft reset): boot.py's traceback too
    port.expect(RAW_BANNER)
    port.write(b"\x04")
    out = port.expect(RAW_BANNER)
    assert out.startswith(b"OK\r\nMPY: soft reboot\r\nTraceback (most recent call last):\r\n"), out


def test_sys_exit_is_a_soft_reset(board, port):  # noqa: F811
    port.write(b"\r\x03\x01")
    port.expect(RAW_BANNER)
    port.write(b"import sys\nsys.exit()\x04")
    assert port.expect(RAW_BANNER) == b"OK\x04\x04MPY: soft reboot\r\n" + RAW_BANNER


def test_a_program_reads_what_is_typed_and_the_rest_reaches_the_repl(board, port):  # noqa: F811
    friendly(port)
    port.write(b"name = input('who? ')\r")
    port.expect(b"who? ")
    port.write(b"pico\r\n")
    port.expect(b">>> ")
    port.write(b"name\r")
    assert port.expect(b">>> ") == b"name\r\n'pico'\r\n>>> "
    # Typed while a program runs and not read by it: the REPL gets it afterwards, as from a UART buffer.
    port.write(b"import time; time.sleep(0.5)\r")
    time.sleep(0.1)
    port.write(b"1+1\r")
    assert port.expect(b"2\r\n>>> ").endswith(b"1+1\r\n2\r\n>>> ")


def test_a_crashed_interpreter_is_a_hard_reset_not_a_dead_board(board, port):  # noqa: F811
    friendly(port)
    port.write(b"import os; os.system('kill -9 $PPID')\r")  # the MicroPython process dies
    out = port.expect(b">>> ", timeout=15)
    assert b"MicroPython " in out and b"soft reboot" not in out  # a power-on banner
    assert board.crashes == 1 and any("hard reset" in m for m in board.logs)
    port.write(b"1+2\r")
    assert port.expect(b">>> ") == b"1+2\r\n3\r\n>>> "


def test_the_port_stays_usable_across_reconnects(board):  # noqa: F811
    for _ in range(2):
        p = Port(board.path)
        friendly(p)
        p.write(b"'still here'\r")
        assert p.expect(b">>> ") == b"'still here'\r\n'still here'\r\n>>> "
        p.close()
