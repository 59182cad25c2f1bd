import sys

from orcon.cli import main

sys.exit(main())
