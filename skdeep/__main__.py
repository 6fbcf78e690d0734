"""``python -m skdeep``: the same as the ``skdeep`` command."""

import sys

try:
    from skdeep._cli import main
except KeyboardInterrupt:  # Ctrl-C before the command started
    print("skdeep: interrupted", file=sys.stderr)
    sys.exit(130)

sys.exit(main())
