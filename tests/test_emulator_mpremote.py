"""The real, unchanged mpremote against the emulated board: every command behaves as on a board.

Each mpremote run soft-resets the board first (as it does with a real one), so these also
exercise the raw REPL, raw paste, Ctrl-D soft reset and the "soft reboot" handshake.
"""

from __future__ import annotations

import hashlib
import os

from support.emulator import board, mpremote  # noqa: F401 - fixtures


def test_ls_lists_files_and_folders_with_sizes_like_littlefs(board):  # noqa: F811
    root = board.root
    (root / "hello.txt").write_bytes(b"x" * 1234)
    (root / "lib").mkdir()
    out = mpremote(board.path, "ls").stdout
    assert out.splitlines() == ["ls :", "        1234 hello.txt", "           0 lib/"]


def test_cp_to_the_board_and_back_is_byte_identical(board, tmp_path):  # noqa: F811
    data = os.urandom(10_000) + bytes(range(256)) * 4  # every byte value, newlines and \x04 included
    (tmp_path / "blob.bin").write_bytes(data)
    mpremote(board.path, "cp", str(tmp_path / "blob.bin"), ":blob.bin")
    assert (board.root / "blob.bin").read_bytes() == data
    mpremote(board.path, "cp", ":blob.bin", str(tmp_path / "back.bin"))
    assert (tmp_path / "back.bin").read_bytes() == data


def test_mkdir_cp_into_it_rm_and_rmdir(board, tmp_path):  # noqa: F811
    (tmp_path / "m.py").write_text("X = 1\n")
    mpremote(board.path, "mkdir", ":lib")
    mpremote(board.path, "cp", str(tmp_path / "m.py"), ":lib/m.py")
    assert (board.root / "lib" / "m.py").read_text() == "X = 1\n"
    # /lib is on sys.path, as on a board
    assert mpremote(board.path, "exec", "import m; print(m.X + 41)").stdout.strip() == "42"
    mpremote(board.path, "rm", ":lib/m.py")
    mpremote(board.path, "rmdir", ":lib")
    assert not (board.root / "lib").exists()


def test_sha256sum_is_the_files_sha256(board):  # noqa: F811
    data = os.urandom(3000)
    (board.root / "model.blob").write_bytes(data)
    out = mpremote(board.path, "sha256sum", ":model.blob").stdout
    assert hashlib.sha256(data).hexdigest() in out


def test_exec_prints_output_and_reports_errors_as_the_firmware_does(board):  # noqa: F811
    assert mpremote(board.path, "exec", "print('hello', 6 * 7)").stdout == "hello 42\n"
    r = mpremote(board.path, "exec", "def f():\n  1/0\nf()", check=False)
    assert r.returncode == 1
    # Only the program's frames: the emulator's own code never shows in a traceback.
    assert r.stdout.splitlines()[-4:] == [
        "Traceback (most recent call last):",
        '  File "<stdin>", line 3, in <module>',
        '  File "<stdin>", line 2, in f',
        "ZeroDivisionError: divide by zero",
    ]


def test_the_board_looks_like_a_board_from_inside(board):  # noqa: F811
    out = mpremote(board.path, "exec", "import os, sys\nprint(os.getcwd(), sys.path, os.listdir('/'))").stdout
    assert out.strip() == "/ ['', '.frozen', '/lib'] []"
    out = mpremote(board.path, "exec", "import os\nprint(os.statvfs('/')[0] * os.statvfs('/')[2])").stdout
    assert int(out) == board.flash


def test_run_executes_a_local_script_on_the_board(board, tmp_path):  # noqa: F811
    script = tmp_path / "blink.py"
    script.write_text("import os\nfor i in range(3):\n    print('tick', i)\nprint(len(os.listdir()))\n")
    (board.root / "a.txt").write_text("a")
    assert mpremote(board.path, "run", str(script)).stdout.splitlines() == ["tick 0", "tick 1", "tick 2", "1"]


def test_a_large_exec_goes_through_raw_paste_flow_control_intact(board):  # noqa: F811
    # 60 KB of source: hundreds of 128-byte raw-paste windows, each granted by the board.
    # (Comments keep it small in RAM: a real board compiles it as it streams in.)
    code = "n = 0\n" + "".join(f"n += {i}  # {'.' * 40}\n" for i in range(1200)) + "print(n)"
    assert len(code) > 60_000
    assert mpremote(board.path, "exec", code, timeout=120).stdout.strip() == str(sum(range(1200)))
    assert not [m for m in board.logs if "flow control" in m]


def test_soft_reset_gives_a_fresh_interpreter(board):  # noqa: F811
    # Two mpremote runs: the second one's soft reset forgets what the first defined.
    mpremote(board.path, "exec", "leftover = 1")
    assert mpremote(board.path, "exec", "print('leftover' in globals())").stdout.strip() == "False"
    assert mpremote(board.path, "resume", "exec", "leftover = 2").returncode == 0
    assert mpremote(board.path, "resume", "exec", "print(leftover)").stdout.strip() == "2"
