# The two commands (see README.md):
#   make demo   set everything up, then roll a die on the simulated board
#   make test   set everything up, then run the whole test suite
.PHONY: setup demo test lint

setup:
	@bash scripts/setup.sh

demo: setup
	.venv/bin/pipdream demo

test: setup
	.venv/bin/python -m pytest

lint: setup
	.venv/bin/ruff check host tests bench
