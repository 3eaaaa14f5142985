"""`python -m bot.cli`: the same as the `grievance` command."""

import sys

from bot.cli import main

sys.exit(main())
