# pipdream: press the button, roll the die. MicroPython and CircuitPython run this file at boot.
# The board comes from pdboard.py (`pipdream deploy --board <name>` installs boards/board_<name>.py under that
# name); settings are in pdsettings.py. Ctrl-C stops the app and leaves you at the REPL.
import pdapp

pdapp.main()
