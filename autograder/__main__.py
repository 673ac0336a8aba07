"""`python -m autograder`: see `autograder.commands`."""
import sys

from .commands import main

sys.exit(main())
