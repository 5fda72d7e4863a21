# The two commands (see README.md):
#   make demo   install the die (no torch), then roll it on the simulated board
#   make test   set everything up, then run the whole test suite on every core (pytest-xdist)
# and for the edit loop:
#   make quick  the tests not marked slow (tests/conftest.py: no avr, rp2040, fuzz or long ones),
#               on every core (pytest-xdist)
.PHONY: setup demo test quick lint

setup:
	@bash scripts/setup.sh

demo:
	@bash scripts/setup.sh demo
	.venv/bin/pipdream demo

test: setup
	.venv/bin/python -m pytest -n auto

quick: setup
	.venv/bin/python -m pytest -m "not slow" -n auto

lint: setup
	.venv/bin/ruff check host tests bench device
