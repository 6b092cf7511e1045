"""The exceptions feedsvc raises on purpose; anything else is a bug."""


class FeedsvcError(Exception):
    """Base of every error feedsvc raises deliberately."""


class SettingsError(FeedsvcError):
    """A setting has a value that cannot be used; names the setting."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"setting {name}: {reason}")
        self.name = name
        self.reason = reason


class SourceError(FeedsvcError):
    """A source file cannot be read as an article; names the file."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class StoreError(FeedsvcError):
    """The store could not be read or written."""


class FencedOut(StoreError):
    """A scanner's write was refused: another process took the scanner lock
    (and the fence) since this one took it."""


class Refused(StoreError):
    """The database refused what was written (a constraint, a value it cannot
    hold), as opposed to not being reachable."""
