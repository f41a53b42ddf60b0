"""The MLflow-style module-level API: each call acts on the active run (starting one if none).

``mlops_jupyter.log_metric(...)`` and friends live here; the run lifecycle and the buffering
they rely on are in tracking.py.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from mlops_jupyter.store import RunStore, open_store
from mlops_jupyter.store.records import RunRecord
from mlops_jupyter.tracking.context import replay_spool
from mlops_jupyter.tracking.run import Run, active_run, open_runs, start_run

if TYPE_CHECKING:
    import pandas as pd


def _run_for_logging() -> Run:
    """This thread's active run; like MLflow, logging with no active run starts one."""
    return active_run() or start_run()


def log_param(key: str, value: Any) -> None:
    """Record a parameter on the active run."""
    _run_for_logging().log_param(key, value)


def log_params(params: Mapping[str, Any]) -> None:
    """Record parameters on the active run."""
    _run_for_logging().log_params(params)


def log_metric(key: str, value: Any, step: int | None = None) -> None:
    """Buffer a metric on the active run (see Run.log_metric)."""
    _run_for_logging().log_metric(key, value, step)


def log_metrics(metrics: Mapping[str, Any], step: int | None = None) -> None:
    """Buffer several metrics on the active run."""
    _run_for_logging().log_metrics(metrics, step)


def log_artifact(
    data: bytes | str | os.PathLike[str], name: str | None = None, media_type: str | None = None
) -> str:
    """Store a file or bytes as an artifact of the active run; returns its sha256."""
    return _run_for_logging().log_artifact(data, name, media_type)


def log_figure(figure: Any, name: str = "figure") -> list[str]:
    """Store a matplotlib figure (PNG + SVG) on the active run."""
    return _run_for_logging().log_figure(figure, name)


def log_table(frame: pd.DataFrame, name: str = "table") -> str:
    """Store a DataFrame as a table artifact on the active run."""
    return _run_for_logging().log_table(frame, name)


def log_input(
    path: str | os.PathLike[str], name: str | None = None, snapshot: bool = False
) -> str | None:
    """Record an input data file (its hash, schema; its content with `snapshot`) on the active
    run; files a ``%%track`` cell reads are recorded without this call."""
    return _run_for_logging().log_input(path, name, snapshot)


def set_tag(key: str, value: Any) -> None:
    """Set a tag on the active run."""
    _run_for_logging().set_tag(key, value)


def set_tags(tags: Mapping[str, Any]) -> None:
    """Set tags on the active run."""
    _run_for_logging().set_tags(tags)


def runs(
    filter: str | None = None,
    order_by: str | list[str] | None = None,
    limit: int | None = None,
    experiment: str | None = None,
    store: RunStore | str | None = None,
) -> pd.DataFrame:
    """Recorded runs as a DataFrame with ``params.*``, ``metrics.*`` and ``tags.*`` columns.

    Args:
        filter: e.g. ``"metrics.acc > 0.9 and params.model == 'rf'"``.
        order_by: e.g. ``"metrics.acc DESC"`` (default: newest first).
        limit: At most this many rows.
        experiment: Only runs of this experiment.
        store: A RunStore or URL (default: the project store).

    Raises:
        InvalidFilterError: the filter or order_by cannot be parsed.
    """
    store = _readable(store)
    return store.runs_frame(filter=filter, order_by=order_by, limit=limit, experiment=experiment)


def get_run(run_id: str, store: RunStore | str | None = None) -> RunRecord:
    """Everything recorded about one run (`run_id` may be a unique prefix).

    Raises:
        RunNotFoundError: no run, or several runs, match `run_id`.
    """
    store = _readable(store)
    return store.get_run(run_id)


def _readable(store: RunStore | str | None) -> RunStore:
    """The store to read, once this process's buffered and spooled metrics are in it."""
    for run in open_runs():
        try:
            run.flush()
        except Exception:
            pass
    store = store if isinstance(store, RunStore) else open_store(store)
    replay_spool(store)
    return store
