#!/usr/bin/env bash
# Sets up everything pipdream needs, idempotently:
#   bash scripts/setup.sh          for the tests and training (make test)
#   bash scripts/setup.sh demo     the die alone: pipdream's base install, no torch (make demo)
# Debian packages (installed with apt-get when missing: as root, else through sudo),
# a virtual environment in .venv with the CPU build of torch (PyTorch's CPU index first, then
# $PIP_FIND_LINKS when the machine names a wheel folder, then the package index, whose Linux
# build is CUDA's: its size is said first), pipdream itself in editable mode with its test and
# train extras, and rp2040js for the RP2040 emulator.
#
# It prints one line per step with the time it took, or "up to date"; the full
# output of the steps that ran is in out/setup.log (a new one for each run that
# does something). A failing step prints its last 60 lines and the script exits
# with its status.
#
#   source scripts/setup.sh --lib    defines `step` only (tests/test_setup_script.py)
set -euo pipefail

SETUP_LOG=${SETUP_LOG:-out/setup.log}
SETUP_TAIL=60
_setup_log_open=""

# open_log: a new $SETUP_LOG for this run, the first time something is logged.
open_log() {
  if [ -z "$_setup_log_open" ]; then
    mkdir -p "$(dirname "$SETUP_LOG")"
    : >"$SETUP_LOG"
    _setup_log_open=1
  fi
}

# step LABEL COMMAND [ARGS...]: runs COMMAND (a subshell with set -euo pipefail, so a
# shell function stops at its first failing command) with its output appended to
# $SETUP_LOG, and prints "setup: LABEL ... N s"; on failure, the step's last
# $SETUP_TAIL lines of output and the log's path, then exits with the step's status.
step() {
  local label=$1 t0=$SECONDS first rc
  shift
  open_log
  printf '==== %s: %s\n' "$label" "$*" >>"$SETUP_LOG"
  first=$(($(wc -l <"$SETUP_LOG") + 1))
  printf 'setup: %s ... ' "$label"
  set +e
  (set -e; "$@") >>"$SETUP_LOG" 2>&1
  rc=$?
  set -e
  if [ "$rc" -ne 0 ]; then
    printf 'FAILED (exit status %d, %d s)\n' "$rc" $((SECONDS - t0))
    echo "setup: the last $SETUP_TAIL lines of its output (all of it in $SETUP_LOG):"
    tail -n +"$first" "$SETUP_LOG" | tail -n "$SETUP_TAIL"
    echo "setup: failed: $label (log: $SETUP_LOG)"
    exit "$rc"
  fi
  printf '%d s\n' $((SECONDS - t0))
}

up_to_date() { echo "setup: $1 ... up to date"; }

if [ "${1:-}" = "--lib" ]; then
  return 0 2>/dev/null || exit 0
fi

cd "$(dirname "${BASH_SOURCE[0]}")/.."
started=$SECONDS
JOB=${1:-test}  # demo (make demo): the die alone, no Debian packages, no torch, no rp2040js

if [ "$JOB" != demo ]; then
# ---- Debian packages (and Node.js with npm for bench/rp2040's rp2040js)
APT_PACKAGES=(gcc-avr avr-libc avrdude simavr libsimavr-dev libelf-dev pkg-config
              gcc-arm-none-eabi libnewlib-arm-none-eabi clang libclang-rt-dev socat valgrind
              qemu-system-arm qemu-system-misc gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

apt_install() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
}
if [ ${#missing[@]} -gt 3 ]; then
  step "Debian packages (${missing[*]:0:3} and $((${#missing[@]} - 3)) more)" apt_install
elif [ ${#missing[@]} -gt 0 ]; then
  step "Debian packages (${missing[*]})" apt_install
else
  up_to_date "Debian packages"
fi
fi

# ---- .venv: pipdream itself (editable), and for the tests and training torch's CPU build first,
# so that pyproject.toml's range is met and never pulls a CUDA build. `setup.sh demo` (make demo)
# installs the base only: the die runs without torch. Redone when this script or pyproject.toml change.
PY=${PYTHON:-python3}
TORCH=${PIPDREAM_TORCH:-torch==2.13.0}
CPU_INDEX=https://download.pytorch.org/whl/cpu
want=$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)
stamp=.venv/.pipdream-setup-$JOB
venv_python() { .venv/bin/python "$@"; }

python_env() {
  [ -x .venv/bin/python ] || "$PY" -m venv .venv
  if [ "$JOB" = demo ]; then
    venv_python -m pip install -e .
  else
    venv_python -m pip install -e ".[test,train]"
  fi
  echo "$want" >"$stamp"
}

# torch_plan ROUTE: what pip would install for $TORCH by that route (scripts/torch_report.py's line),
# empty when the route has no torch (offline, or no such folder). pip's own configuration is left
# out, so each route is only itself.
torch_plan() {
  local report=.venv/torch-report.json args=()
  case $1 in
    cpu-index) args=(--index-url "$CPU_INDEX") ;;
    find-links) args=(--find-links "$PIP_FIND_LINKS") ;;
    index) ;;
  esac
  rm -f "$report"
  open_log
  printf '==== torch by %s: what pip would install\n' "$1" >>"$SETUP_LOG"
  PIP_CONFIG_FILE=/dev/null PIP_FIND_LINKS="" venv_python -m pip install --dry-run --quiet --ignore-installed \
    --timeout 20 --retries 1 --report "$report" "${args[@]}" "$TORCH" >>"$SETUP_LOG" 2>&1 || true
  venv_python scripts/torch_report.py "$report" 2>>"$SETUP_LOG" || true
}
torch_install() {
  local args=()
  case $1 in
    cpu-index) args=(--index-url "$CPU_INDEX") ;;
    find-links) args=(--find-links "$PIP_FIND_LINKS") ;;
  esac
  PIP_CONFIG_FILE=/dev/null PIP_FIND_LINKS="" venv_python -m pip install "${args[@]}" "$TORCH"
}

if [ -x .venv/bin/python ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  up_to_date "Python venv + pipdream ($JOB)"
else
  [ -x .venv/bin/python ] || step "Python venv" "$PY" -m venv .venv
  if [ "$JOB" != demo ] && ! venv_python -c "import torch" >/dev/null 2>&1; then
    # PyTorch's CPU index first, then a local wheel folder when the machine names one (pip's
    # PIP_FIND_LINKS), and only then the package index (a CUDA build on Linux x86_64).
    routes=(cpu-index)
    [ -n "${PIP_FIND_LINKS:-}" ] && routes+=(find-links)
    routes+=(index)
    route="" plan=""
    for r in "${routes[@]}"; do
      plan=$(torch_plan "$r")
      if [ -n "$plan" ]; then route=$r; break; fi
    done
    if [ -z "$route" ]; then
      echo "setup: torch: no route reached a $TORCH (PyTorch's CPU index, PIP_FIND_LINKS, the package index);" \
           "offline? (log: $SETUP_LOG)"
      exit 1
    fi
    IFS='|' read -r tversion tbuild tsource tmb tcount <<<"$plan"
    if [ "$tbuild" = CUDA ]; then
      echo "setup: torch $tversion from $tsource is a CUDA build: ${tmb} MB in $tcount packages;" \
           "for the CPU build instead: PIP_FIND_LINKS=<a folder with it> or --index-url $CPU_INDEX"
    fi
    step "torch $tversion ($tbuild build, from $tsource)" torch_install "$route"
  fi
  step "pipdream ($( [ "$JOB" = demo ] && echo "base install, no torch" || echo "editable, test + train extras"))" \
    python_env
fi

if [ "$JOB" != demo ]; then
# ---- rp2040js into bench/rp2040/node_modules (npm ci from its package-lock.json, when changed)
if make -q -s -C bench/rp2040 node_modules >/dev/null 2>&1; then
  up_to_date "rp2040js (npm ci)"
else
  step "rp2040js (npm ci)" make -s -C bench/rp2040 node_modules
fi
fi

if [ -n "$_setup_log_open" ]; then
  echo "setup: done in $((SECONDS - started)) s (full output: $SETUP_LOG)"
fi
