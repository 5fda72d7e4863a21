"""CircuitPython's `board` for a simulated Raspberry Pi Pico (pins GP0..GP28 and aliases).

Importing it starts the simulated board (the world, the record stream, a seeded os.urandom,
the board's clock as the process's time functions) before the app's code asks for anything
else: `board` is the first module a CircuitPython app imports."""

from pipdream.sim.circuitpython import board_attrs, current

current().become_the_process_clock()
globals().update(board_attrs())
board_id = "raspberry_pi_pico"
