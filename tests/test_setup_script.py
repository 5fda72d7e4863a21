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
# The venv's python: no torch to import; scripts/torch_report.py answers $FAKE_TORCH_PLAN from the
# FAKE_PLAN_AT-th route asked on (1: PyTorch's CPU index); anything else is a noisy pip.
VENV_PYTHON = f"""#!/bin/sh
CPU_PLAN="2.13.0+cpu|CPU|PyTorch's CPU index|0|10"
case "$1" in
  -c) exit 1 ;;
  scripts/torch_report.py)
    n=$(($(cat "$FAKE_STATE/routes" 2>/dev/null || echo 0) + 1)); echo $n >"$FAKE_STATE/routes"
    [ "$n" -ge "${{FAKE_PLAN_AT:-1}}" ] && echo "${{FAKE_TORCH_PLAN:-$CPU_PLAN}}"
    exit 0 ;;
esac
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
    shutil.copy(SCRIPT.with_name("torch_report.py"), root / "scripts" / "torch_report.py")
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
    for name in ("SETUP_LOG", "FAKE_PIP_FAIL", "PIP_FIND_LINKS", "FAKE_PLAN_AT", "FAKE_TORCH_PLAN"):
        env.pop(name, None)
    return root, env


def _run(root: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(root / "scripts" / "setup.sh")], capture_output=True,
                          text=True, env=env, timeout=120)


def test_a_fresh_machine_gets_one_timed_line_per_step_and_the_output_in_a_log(tmp_path):
    root, env = _sandbox(tmp_path)
    r = _run(root, env)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 6 and r.stderr == "", r.stdout + r.stderr
    assert all(line.startswith("setup: ") and len(line) <= 100 for line in lines), lines
    apt, venv, torch, pipdream, npm, done = lines
    # every one of APT_PACKAGES is missing on the fresh machine (node and npm are there)
    script = (root / "scripts" / "setup.sh").read_text()
    more = len(re.search(r"APT_PACKAGES=\(([^)]*)\)", script).group(1).split()) - 3
    assert re.fullmatch(rf"setup: Debian packages \(gcc-avr avr-libc avrdude and {more} more\) \.\.\. \d+ s",
                        apt)
    assert re.fullmatch(r"setup: Python venv \.\.\. \d+ s", venv)
    assert re.fullmatch(r"setup: torch 2\.13\.0\+cpu \(CPU build, from PyTorch's CPU index\) \.\.\. \d+ s",
                        torch)
    assert re.fullmatch(r"setup: pipdream \(editable, test \+ train extras\) \.\.\. \d+ s", pipdream)
    assert re.fullmatch(r"setup: rp2040js \(npm ci\) \.\.\. \d+ s", npm)
    assert re.fullmatch(r"setup: done in \d+ s \(full output: out/setup.log\)", done)
    log = (root / "out" / "setup.log").read_text()
    assert "install -y --no-install-recommends gcc-avr avr-libc" in log
    assert re.search(rf"pip line {NOISE}: -m pip install --index-url https://download.pytorch.org/whl/cpu "
                     r"torch==2\.13\.0", log)
    assert re.search(rf"pip line {NOISE}: -m pip install -e \.\[test,train\]", log)
    assert f"npm warn {NOISE}" in log
    assert (root / ".venv" / ".pipdream-setup-test").exists()

    # again: every step is up to date, nothing is run, the log of the first run stays
    again = _run(root, env)
    assert again.returncode == 0 and again.stderr == ""
    assert again.stdout.splitlines() == ["setup: Debian packages ... up to date",
                                         "setup: Python venv + pipdream (test) ... up to date",
                                         "setup: rp2040js (npm ci) ... up to date"]
    assert (root / "out" / "setup.log").read_text() == log


def test_a_failing_step_shows_its_last_60_lines_and_stops_the_script(tmp_path):
    root, env = _sandbox(tmp_path)
    (tmp_path / "state" / "installed").touch()
    r = _run(root, {**env, "FAKE_PIP_FAIL": "1"})
    assert r.returncode == 7
    out = r.stdout.splitlines()
    assert out[0] == "setup: Debian packages ... up to date"
    assert re.fullmatch(r"setup: Python venv \.\.\. \d+ s", out[1])
    out = out[1:]
    assert re.fullmatch(r"setup: torch 2\.13\.0\+cpu .* \.\.\. FAILED \(exit status 7, \d+ s\)", out[1])
    assert out[2] == "setup: the last 60 lines of its output (all of it in out/setup.log):"
    shown = [line.split(":")[0] for line in out[3:-1]]
    assert shown == [f"pip line {i}" for i in range(NOISE - 59, NOISE + 1)]
    assert out[-1] == ("setup: failed: torch 2.13.0+cpu (CPU build, from PyTorch's CPU index) "
                       "(log: out/setup.log)")
    assert "rp2040js" not in r.stdout  # the steps after it do not run
    assert not (root / ".venv" / ".pipdream-setup-test").exists()  # and it is not marked as done
    assert re.search(r"^pip line 1: .*torch", (root / "out" / "setup.log").read_text(), re.M)


def test_torch_comes_from_a_wheel_folder_the_machine_names_before_the_package_index(tmp_path):
    root, env = _sandbox(tmp_path)
    (tmp_path / "state" / "installed").touch()
    env = {**env, "PIP_FIND_LINKS": str(tmp_path / "wheels"), "FAKE_PLAN_AT": "2",
           "FAKE_TORCH_PLAN": "2.13.0+cpu|CPU|a local wheel folder|0|10"}  # the CPU index: unreachable
    r = _run(root, env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert re.search(r"^setup: torch 2\.13\.0\+cpu \(CPU build, from a local wheel folder\) \.\.\. \d+ s$",
                     r.stdout, re.M), r.stdout
    log = (root / "out" / "setup.log").read_text()
    assert f"-m pip install --find-links {tmp_path / 'wheels'} torch==2.13.0" in log


def test_a_cuda_build_is_named_with_its_size_and_the_cpu_route_before_it_downloads(tmp_path):
    root, env = _sandbox(tmp_path)
    (tmp_path / "state" / "installed").touch()
    r = _run(root, {**env, "FAKE_PLAN_AT": "2", "FAKE_TORCH_PLAN": "2.13.0|CUDA|the package index|2741|29"})
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    warn = next(i for i, line in enumerate(lines) if "CUDA build" in line)
    assert lines[warn] == ("setup: torch 2.13.0 from the package index is a CUDA build: 2741 MB in 29 "
                           "packages; "
                           "for the CPU build instead: PIP_FIND_LINKS=<a folder with it> or --index-url "
                           "https://download.pytorch.org/whl/cpu")
    assert re.fullmatch(r"setup: torch 2\.13\.0 \(CUDA build, from the package index\) \.\.\. \d+ s",
                        lines[warn + 1])


def test_make_demo_installs_no_torch_and_no_debian_packages(tmp_path):
    root, env = _sandbox(tmp_path)
    r = subprocess.run(["bash", str(root / "scripts" / "setup.sh"), "demo"], capture_output=True, text=True,
                       env=env, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert [re.sub(r"\d+ s", "N s", line) for line in r.stdout.splitlines()] == [
        "setup: Python venv ... N s", "setup: pipdream (base install, no torch) ... N s",
        "setup: done in N s (full output: out/setup.log)"]
    log = (root / "out" / "setup.log").read_text()
    assert "torch" not in log.replace("no torch", "") and "apt-get" not in log
    assert "-m pip install -e ." in log


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
