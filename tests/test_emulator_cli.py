"""`pipdream emulate` as a person runs it: it prints the port, mpremote talks to it, and
SIGTERM or Ctrl-C stops it cleanly (the temporary filesystem goes with it)."""

from __future__ import annotations

import signal
import subprocess
import sys

from pipdream.mpremote_board import boards
from support.emulator import mpremote


def test_the_command_prints_its_port_and_serves_mpremote_until_stopped(tmp_path):
    link = tmp_path / "pico"
    proc = subprocess.Popen([sys.executable, "-m", "pipdream.mpremote_board", "--root", str(tmp_path / "fs"),
                             "--link", str(link), "--flash", "512"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        port = proc.stdout.readline().strip()
        assert port.startswith("/dev/pts/") and link.resolve() == type(link)(port)
        assert "emulated pico: port" in proc.stdout.readline()
        (tmp_path / "fs" / "hello.py").write_text("print('hello from the board')\n")
        assert mpremote(str(link), "exec", "import hello").stdout == "hello from the board\n"
        out = mpremote(port, "exec", "import os; s = os.statvfs('/'); print(s[0] * s[2])").stdout
        assert int(out) == 512 * 1024
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    assert not link.exists()  # the link goes with the port


def test_the_banner_names_the_board_and_the_runtimes_version(tmp_path):
    board = boards.emulated_board("esp32c3", simulate=False)
    banner = board.banner()
    assert banner.startswith("MicroPython ") and "; ESP32C3 module with ESP32C3\r\n" in banner
    assert banner.endswith('Type "help()" for more information.\r\n')
