"""`python -m operations <command> ...`: see `operations.cli`."""

import sys

import core  # noqa: F401  (first: it silences jsii's Node banner before anything loads jsii)
from operations.cli import main

if __name__ == "__main__":
    sys.exit(main())
