"""Errors of logged models, their URIs, signatures and the registry's promotion gate."""

from __future__ import annotations

from mlops_jupyter.errors.base import MlopsJupyterError, RunStateError


class ModelNotFoundError(MlopsJupyterError, LookupError):
    """A registered model, version, alias or run model that does not exist."""

    def __init__(self, message: str, known: list[str] | None = None) -> None:
        hint = (
            f" (registered: {', '.join(known[:10])})"
            if known
            else " (`mlops-jupyter models ls` lists them)"
            if known is not None
            else ""
        )
        LookupError.__init__(self, message + hint)


class ModelURIError(MlopsJupyterError, ValueError):
    """A model URI that is not runs:/RUN_ID/NAME, models:/NAME/VERSION or models:/NAME@ALIAS."""

    def __init__(self, uri: str, problem: str) -> None:
        self.uri = uri
        super().__init__(
            f"model URI {uri!r:.200}: {problem}; write runs:/RUN_ID/NAME, models:/NAME/VERSION "
            "or models:/NAME@ALIAS"
        )


class ModelFlavorError(MlopsJupyterError, ValueError):
    """An object that no model flavour can log (it has no `predict`)."""


class ModelInputError(MlopsJupyterError, ValueError):
    """Input to a model's `predict` that does not match its signature; names the column."""

    def __init__(self, message: str, column: str | None = None) -> None:
        self.column = column
        super().__init__(message)


class ModelLoadError(MlopsJupyterError):
    """A model that cannot be loaded in this environment (a package it needs is missing)."""


class PromotionRefusedError(RunStateError):
    """The promotion gate refused to move an alias to a version (the reason and `force=True`)."""
