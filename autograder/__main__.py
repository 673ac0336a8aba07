"""`python -m autograder`: see `autograder.cli`."""
import sys

from .cli import main

if __name__ == "__main__":  # a spawned helper process imports this module too
    sys.exit(main())
