"""The root of the tree and the errors every layer shares."""

from __future__ import annotations


class MlopsJupyterError(Exception):
    """Root of every error raised on purpose by mlops-jupyter."""


class RunStateError(MlopsJupyterError):
    """An action that conflicts with the state of a run (e.g. no active run)."""


class InvalidArgumentError(MlopsJupyterError, ValueError):
    """A query argument (limit, offset, run id) outside the range the store accepts."""


class MissingExtraError(MlopsJupyterError, ImportError):
    """A feature that needs an optional package which is not installed."""

    def __init__(self, feature: str, package: str, extra: str) -> None:
        self.feature, self.package, self.extra = feature, package, extra
        super().__init__(
            f"{feature} need the Python package {package!r}, which is not installed; "
            f"install it with: pip install 'mlops-jupyter[{extra}]'"
        )
