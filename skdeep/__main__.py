"""``python -m skdeep``: the same as the ``skdeep`` command."""

import sys

from skdeep._cli import main

sys.exit(main())
