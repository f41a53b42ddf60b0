"""The run store: the only code that knows SQL and the artifact blob layout."""

from __future__ import annotations

import os
import threading

from mlops_jupyter.store.location import resolve_store_url
from mlops_jupyter.store.records import ArtifactRecord, ExperimentRecord, MetricPoint, RunRecord
from mlops_jupyter.store.store import RunStore

__all__ = [
    "ArtifactRecord",
    "ExperimentRecord",
    "MetricPoint",
    "RunRecord",
    "RunStore",
    "open_store",
]

_open_lock = threading.Lock()
_open: dict[str, RunStore] = {}


def open_store(url: str | os.PathLike[str] | None = None) -> RunStore:
    """The process's RunStore for `url` (default: MLOPS_JUPYTER_STORE, else the project store).

    Stores are kept per resolved URL so that a notebook's many runs share one connection pool.
    """
    resolved = resolve_store_url(url)
    with _open_lock:
        store = _open.get(resolved)
        if store is None:
            store = _open[resolved] = RunStore(resolved)
        return store
