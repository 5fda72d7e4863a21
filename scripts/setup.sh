#!/usr/bin/env bash
# Sets up everything pipdream needs, idempotently:
#   bash scripts/setup.sh
# Debian packages (installed with apt-get when missing: as root, else through sudo),
# a virtual environment in .venv with the CPU build of torch, pipdream itself in
# editable mode with its test extras, and rp2040js for the RP2040 emulator.
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

# step LABEL COMMAND [ARGS...]: runs COMMAND (a subshell with set -euo pipefail, so a
# shell function stops at its first failing command) with its output appended to
# $SETUP_LOG, and prints "setup: LABEL ... N s"; on failure, the step's last
# $SETUP_TAIL lines of output and the log's path, then exits with the step's status.
step() {
  local label=$1 t0=$SECONDS first rc
  shift
  if [ -z "$_setup_log_open" ]; then
    mkdir -p "$(dirname "$SETUP_LOG")"
    : >"$SETUP_LOG"
    _setup_log_open=1
  fi
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

# ---- .venv: torch (CPU build) and pipdream[test], redone when this script or pyproject.toml change
PY=${PYTHON:-python3}
stamp=.venv/.pipdream-setup
want=$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)
python_env() {
  [ -x .venv/bin/python ] || "$PY" -m venv .venv
  local links=()
  [ -d /opt/wheels ] && links=(--find-links /opt/wheels)
  # The CPU build of torch first, so the range in pyproject.toml is already met.
  .venv/bin/python -m pip install "${links[@]}" "torch==2.13.0"
  .venv/bin/python -m pip install "${links[@]}" -e ".[test]"
  echo "$want" >"$stamp"
}
if [ -x .venv/bin/python ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  up_to_date "Python venv + torch"
else
  step "Python venv + torch 2.13.0 + pipdream[test]" python_env
fi

# ---- rp2040js into bench/rp2040/node_modules (npm ci from its package-lock.json, when changed)
if make -q -s -C bench/rp2040 node_modules >/dev/null 2>&1; then
  up_to_date "rp2040js (npm ci)"
else
  step "rp2040js (npm ci)" make -s -C bench/rp2040 node_modules
fi

if [ -n "$_setup_log_open" ]; then
  echo "setup: done in $((SECONDS - started)) s (full output: $SETUP_LOG)"
fi
