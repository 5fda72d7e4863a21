"""scripts/setup.sh: one short line per step, the noise in a log, a failing step's tail shown.

The script runs in a copy of the repository's layout (tmp_path) with fake dpkg, apt-get,
sudo, node, npm and python on PATH: nothing is installed, nothing goes to the network.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

from support import REPO

SCRIPT = REPO / "scripts" / "setup.sh"
NOISE = 300  # lines each fake installer prints

FAKES = {
    # packages count as installed once the fake apt-get has run
    "dpkg": '[ -e "$FAKE_STATE/installed" ]',
    "apt-get": f'for i in $(seq {NOISE}); do echo "Get:$i fake $*"; done\n'
               '[ "$1" = install ] && touch "$FAKE_STATE/installed"\nexit 0',
    "sudo": 'exec "$@"',
    "node": "exit 0",
    "npm": "exit 0",
    # PYTHON: `python3 -m venv .venv` makes a venv whose python is the fake pip below
    "python3": 'mkdir -p "$3/bin" && cp "$FAKE_STATE/venv-python" "$3/bin/python"',
}
VENV_PYTHON = f"""#!/bin/sh
for i in $(seq {NOISE}); do echo "pip line $i: $*"; done
[ -z "$FAKE_PIP_FAIL" ] || exit 7
"""
NPM_MAKEFILE = f"""node_modules: node_modules/.package-lock.json
node_modules/.package-lock.json: package.json
\t@for i in $$(seq {NOISE}); do echo "npm warn $$i"; done
\t@mkdir -p node_modules && touch $@
"""


def _executable(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def _sandbox(tmp_path: Path) -> tuple[Path, dict]:
    root = tmp_path / "repo"
    (root / "scripts").mkdir(parents=True)
    shutil.copy(SCRIPT, root / "scripts" / "setup.sh")
    (root / "pyproject.toml").write_text('[project]\nname = "pipdream"\n')
    (root / "bench" / "rp2040").mkdir(parents=True)
    (root / "bench" / "rp2040" / "Makefile").write_text(NPM_MAKEFILE)
    (root / "bench" / "rp2040" / "package.json").write_text("{}\n")
    state, bin_dir = tmp_path / "state", tmp_path / "bin"
    state.mkdir()
    bin_dir.mkdir()
    for name, body in FAKES.items():
        _executable(bin_dir / name, f"#!/bin/sh\n{body}\n")
    _executable(state / "venv-python", VENV_PYTHON)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "FAKE_STATE": str(state),
           "PYTHON": str(bin_dir / "python3")}
    env.pop("SETUP_LOG", None)
    env.pop("FAKE_PIP_FAIL", None)
    return root, env


def _run(root: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(root / "scripts" / "setup.sh")], capture_output=True,
                          text=True, env=env, timeout=120)


def test_a_fresh_machine_gets_one_timed_line_per_step_and_the_output_in_a_log(tmp_path):
    root, env = _sandbox(tmp_path)
    r = _run(root, env)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 4 and r.stderr == "", r.stdout + r.stderr
    assert all(line.startswith("setup: ") and len(line) <= 100 for line in lines), lines
    apt, venv, npm, done = lines
    # every one of APT_PACKAGES is missing on the fresh machine (node and npm are there)
    script = (root / "scripts" / "setup.sh").read_text()
    more = len(re.search(r"APT_PACKAGES=\(([^)]*)\)", script).group(1).split()) - 3
    assert re.fullmatch(rf"setup: Debian packages \(gcc-avr avr-libc avrdude and {more} more\) \.\.\. \d+ s",
                        apt)
    assert re.fullmatch(r"setup: Python venv \+ torch .* \.\.\. \d+ s", venv)
    assert re.fullmatch(r"setup: rp2040js \(npm ci\) \.\.\. \d+ s", npm)
    assert re.fullmatch(r"setup: done in \d+ s \(full output: out/setup.log\)", done)
    log = (root / "out" / "setup.log").read_text()
    assert "install -y --no-install-recommends gcc-avr avr-libc" in log
    assert re.search(rf"pip line {NOISE}: -m pip install .*torch==2\.13\.0", log)  # (maybe --find-links)
    assert re.search(rf"pip line {NOISE}: -m pip install .*-e \.\[test\]", log)
    assert f"npm warn {NOISE}" in log
    assert (root / ".venv" / ".pipdream-setup").exists()

    # again: every step is up to date, nothing is run, the log of the first run stays
    again = _run(root, env)
    assert again.returncode == 0 and again.stderr == ""
    assert again.stdout.splitlines() == ["setup: Debian packages ... up to date",
                                         "setup: Python venv + torch ... up to date",
                                         "setup: rp2040js (npm ci) ... up to date"]
    assert (root / "out" / "setup.log").read_text() == log


def test_a_failing_step_shows_its_last_60_lines_and_stops_the_script(tmp_path):
    root, env = _sandbox(tmp_path)
    (tmp_path / "state" / "installed").touch()
    r = _run(root, {**env, "FAKE_PIP_FAIL": "1"})
    assert r.returncode == 7
    out = r.stdout.splitlines()
    assert out[0] == "setup: Debian packages ... up to date"
    assert re.fullmatch(r"setup: Python venv \+ torch .* \.\.\. FAILED \(exit status 7, \d+ s\)", out[1])
    assert out[2] == "setup: the last 60 lines of its output (all of it in out/setup.log):"
    shown = [line.split(":")[0] for line in out[3:-1]]
    assert shown == [f"pip line {i}" for i in range(NOISE - 59, NOISE + 1)]
    assert out[-1] == "setup: failed: Python venv + torch 2.13.0 + pipdream[test] (log: out/setup.log)"
    assert "rp2040js" not in r.stdout  # the steps after it do not run
    assert not (root / ".venv" / ".pipdream-setup").exists()  # and it is not marked as done
    assert re.search(r"^pip line 1: .*torch", (root / "out" / "setup.log").read_text(), re.M)


def test_a_step_is_a_set_e_subshell_and_makes_the_logs_folder(tmp_path):
    """`step` from `source scripts/setup.sh --lib`: a shell function stops at its first
    failing command, like the rest of the script (set -euo pipefail)."""
    log = tmp_path / "new" / "folder" / "setup.log"
    script = (f'source "{SCRIPT}" --lib\n'
              'half() { echo before; false; echo after; }\n'
              'step "a first step" true\n'
              'step "a step that fails halfway" half\n'
              'echo "not reached"\n')
    r = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60,
                       env={**os.environ, "SETUP_LOG": str(log)})
    assert r.returncode == 1
    lines = r.stdout.splitlines()
    assert re.fullmatch(r"setup: a first step \.\.\. \d+ s", lines[0])
    assert lines[1].startswith("setup: a step that fails halfway ... FAILED (exit status 1")
    assert lines[3:] == ["before", f"setup: failed: a step that fails halfway (log: {log})"]
    assert "after" not in log.read_text() and "not reached" not in r.stdout
