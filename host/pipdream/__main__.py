import sys

from pipdream.cli import main

sys.exit(main())
