"""The one mapping from an exception to an HTTP status, for replies and background jobs alike."""

from __future__ import annotations

from tornado import web

from mlops_jupyter.errors import (
    NotebookExecutionError,
    RunStateError,
    StoreUnavailableError,
)


def status_for(exc: BaseException | None) -> int:
    """400 for bad values, 404 for missing things, 409 for conflicts, 422 for a notebook that
    failed to execute (a cell raised, the kernel died or timed out), 503 for an unreachable
    store, 500 for anything else."""
    if isinstance(exc, web.HTTPError):
        return exc.status_code
    if isinstance(exc, RunStateError):
        return 409
    if isinstance(exc, LookupError):
        return 404
    if isinstance(exc, ValueError):
        return 400
    if isinstance(exc, NotebookExecutionError):
        return 422
    if isinstance(exc, StoreUnavailableError):
        return 503
    return 500
