#!/usr/bin/env bash
# Sets up everything pipdream needs, idempotently:
#   bash scripts/setup.sh
# Debian packages (installed with apt-get when missing and we are root),
# a virtual environment in .venv with the CPU build of torch, and pipdream
# itself in editable mode with its test extras.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(gcc-avr avr-libc avrdude simavr libsimavr-dev libelf-dev pkg-config
              gcc-arm-none-eabi libnewlib-arm-none-eabi clang libclang-rt-dev socat valgrind)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
# Node.js and npm for the RP2040 emulator (bench/rp2040 runs the npm package rp2040js)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
stamp=.venv/.pipdream-setup
want=$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  # The CPU build of torch first, so the range in pyproject.toml is already met.
  links=()
  [ -d /opt/wheels ] && links=(--find-links /opt/wheels)
  .venv/bin/python -m pip install -q "${links[@]}" "torch==2.13.0"
  .venv/bin/python -m pip install -q "${links[@]}" -e ".[test]"
  echo "$want" > "$stamp"
fi
# rp2040js into bench/rp2040/node_modules (npm ci from its package-lock.json, when changed)
make -s -C bench/rp2040 node_modules
