"""Errors that reach the user as one line, never as a traceback."""


class NewstrailError(Exception):
    """An error with a message fit to show the user as is, on one line."""


class SeedError(NewstrailError):
    """A seed file or seed argument is malformed."""


class StoreError(NewstrailError):
    """A store cannot be opened, read or written."""
