"""Errors an import can end with. The message is for the user: what was expected, what was found."""


class ImportRefused(ValueError):
    """The file cannot be imported as it is; nothing was changed."""
