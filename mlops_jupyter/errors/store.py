"""Errors of the run store: opening, versions, URLs, what it can hold."""

from __future__ import annotations

from mlops_jupyter.errors.base import MlopsJupyterError


class StoreError(MlopsJupyterError):
    """The run store cannot be used as asked."""


class StoreUnavailableError(StoreError):
    """The store cannot be opened or written (permissions, missing server, full disk)."""

    def __init__(self, location: str, reason: str, fix: str = "") -> None:
        self.location = location
        self.reason = reason
        msg = f"cannot use the run store at {location}: {reason}"
        if fix:
            msg += f". {fix}"
        super().__init__(msg)


class CorruptStoreError(StoreError):
    """The database is not an mlops-jupyter store, or is damaged."""

    def __init__(self, location: str, reason: str) -> None:
        self.location = location
        super().__init__(
            f"{location} is not a usable mlops-jupyter store ({reason}). "
            "Point MLOPS_JUPYTER_STORE or --store at another file, or move this one away; "
            "it was left untouched."
        )


class SchemaVersionError(StoreError):
    """The store's schema version is not the one this code writes."""

    def __init__(self, location: str, found: int, expected: int) -> None:
        self.found, self.expected = found, expected
        if found > expected:
            fix = "upgrade mlops-jupyter (pip install -U mlops-jupyter) to read it"
        else:
            fix = "run `mlops-jupyter store migrate` to upgrade it"
        super().__init__(
            f"the store at {location} has schema version {found}, this mlops-jupyter uses "
            f"{expected}: {fix}"
        )


class UnsupportedStoreURLError(StoreError, ValueError):
    """A store URL whose scheme we cannot keep runs in."""

    def __init__(self, url: str, supported: tuple[str, ...]) -> None:
        self.url = url
        super().__init__(
            f"unsupported store URL {url!r}; expected a file path, or a URL starting with one of "
            f"{', '.join(repr(s) for s in supported)}"
        )


class MigrationRefusedError(StoreError):
    """`store migrate` refused because processes of the older version are still writing."""


class StoreInputError(MlopsJupyterError, ValueError):
    """A value or query the store cannot hold or run (too long, out of range, too complex).

    The store itself is healthy: the input has to change, not the store.
    """

    def __init__(self, location: str, reason: str, fix: str) -> None:
        self.location, self.reason = location, reason
        super().__init__(f"the run store at {location} refused the input: {reason}. {fix}")
