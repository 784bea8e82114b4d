"""`python -m bridge.cli` runs the `vpbridge` command."""

import sys

from bridge.cli import main

sys.exit(main())
