"""The ``skdeep`` command line (``skdeep --help``); the code is in ``skdeep._cli``."""

from skdeep._cli import main

__all__ = ["main"]
