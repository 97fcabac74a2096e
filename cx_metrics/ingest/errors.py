"""Errors an import can end with. The message is for the user: what was expected, what was found."""


class ImportRefused(ValueError):
    """The file cannot be imported as it is; nothing was changed. ``detection``: how the file was read, when it
    was (the kind and columns, so the page can offer to change the mapping that failed)."""

    detection: object | None = None


class NeedsConfirmation(ImportRefused):
    """The file was understood with low confidence: the proposed mapping waits for the user's confirmation."""
