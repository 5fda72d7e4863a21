"""Helpers the tests share: the C kernel library (kernels), running device/ code (device), the
board on a pseudo-terminal that mpremote talks to (emulator)."""
