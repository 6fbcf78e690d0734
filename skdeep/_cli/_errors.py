"""The error a user of the ``skdeep`` command can fix."""


class CommandError(Exception):
    """A mistake in the command line or its files: printed as one line, exit 1."""
