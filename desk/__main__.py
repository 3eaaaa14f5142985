"""`python -m desk`: the caseworker's commands, quick to start on a laptop."""

import sys

from desk.cli import main

sys.exit(main())
