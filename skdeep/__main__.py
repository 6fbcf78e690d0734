"""``python -m skdeep``: the same as the ``skdeep`` command."""

import sys

from skdeep.cli import main

sys.exit(main())
