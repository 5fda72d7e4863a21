"""python -m pipdream.mpremote_board ...: `pipdream emulate ...` without loading every command."""

import argparse
import sys

from pipdream.commands import emulate

parser = argparse.ArgumentParser(prog="python -m pipdream.mpremote_board", description=emulate.HELP,
                                 epilog=emulate.EXAMPLES,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
emulate.add_arguments(parser)
sys.exit(emulate.run(parser.parse_args()))
