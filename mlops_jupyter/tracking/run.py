"""The Python tracking API: a Run (params, tags, artifacts, its end) and the active-run functions.

A run's metrics go through its MetricBuffer (tracking/metric_buffer.py), so logging them never
waits on the database nor raises a store failure into the user's loop.
"""

from __future__ import annotations

import os
import time
import traceback
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_jupyter import env
from mlops_jupyter.errors import RunStateError
from mlops_jupyter.store import RunStore, open_store
from mlops_jupyter.store.records import RunRecord
from mlops_jupyter.tracking import context as run_context
from mlops_jupyter.tracking import provenance
from mlops_jupyter.tracking.context import replay_spool
from mlops_jupyter.tracking.metric_buffer import MetricBuffer

if TYPE_CHECKING:
    import pandas as pd


class Run:
    """One run being recorded; use as a context manager or call `end()`.

    Leaving the ``with`` block normally finishes the run; an exception marks it failed (with
    the traceback) and still propagates; KeyboardInterrupt marks it killed.
    """

    def __init__(
        self,
        store: RunStore,
        run_id: str,
        name: str,
        experiment: str,
        parent_run_id: str | None,
        next_steps: dict[str, int] | None = None,
    ) -> None:
        self.store, self.run_id, self.name = store, run_id, name
        self.experiment, self.parent_run_id = experiment, parent_run_id
        self.status = "running"
        self.metric_buffer = MetricBuffer(store, run_id, name, next_steps)
        self.inputs: list[dict[str, Any]] = []  #: the inputs document (tracking/inputs.py)

    def __repr__(self) -> str:
        return f"<Run {self.run_id[:8]} {self.name!r} {self.status}>"

    def __enter__(self) -> Run:
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        if exc is None:
            self.end("finished")
        elif isinstance(exc, KeyboardInterrupt):
            self.end("killed", error="KeyboardInterrupt")
        else:
            self.end("failed", error="".join(traceback.format_exception(exc_type, exc, tb)))

    # -- logging --------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self.status != "running":
            raise RunStateError(
                f"run {self.run_id[:8]} ({self.name}) has ended ({self.status}); "
                "start a new run with start_run()"
            )

    def log_param(self, key: str, value: Any) -> None:
        """Record one parameter (type kept: int, float, bool, str, None, lists/dicts as JSON)."""
        self.log_params({key: value})

    def log_params(self, params: Mapping[str, Any]) -> None:
        """Record several parameters in one write."""
        self._check_open()
        self.store.log_params(self.run_id, params)

    def log_metric(
        self, key: str, value: Any, step: int | None = None, timestamp: float | None = None
    ) -> None:
        """Buffer one metric value; `step` defaults to the metric's next step (0, 1, 2, ...).

        Never raises because of the store: while it is away the points stay buffered, then
        spooled to a local file, and are written when it answers again.

        Raises:
            InvalidMetricError: the key, value or step cannot be stored (checked now, on every
                call, so one bad point cannot poison the batch it would have joined).
        """
        self.metric_buffer.add(key, value, step, timestamp)

    def logged_metric_keys(self) -> set[str]:
        """The metric keys logged explicitly in this run so far (by this process)."""
        return self.metric_buffer.logged_keys()

    def log_metrics(self, metrics: Mapping[str, Any], step: int | None = None) -> None:
        """Buffer several metrics at one step (each key's next step when `step` is None)."""
        now = time.time()
        for key, value in metrics.items():
            self.log_metric(key, value, step, now)

    def set_tag(self, key: str, value: Any) -> None:
        """Set one tag (stored as text)."""
        self.set_tags({key: value})

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        """Set several tags."""
        self.store.set_tags(self.run_id, tags)

    def log_artifact(
        self,
        data: bytes | str | os.PathLike[str],
        name: str | None = None,
        media_type: str | None = None,
    ) -> str:
        """Store a file (path) or bytes as an artifact; returns its sha256."""
        if name is None:
            if isinstance(data, (bytes, bytearray)):
                raise ValueError("log_artifact(bytes) needs name=, e.g. name='model.pkl'")
            name = Path(data).name
        media_type = media_type or _guess_media_type(name)
        return self.store.log_artifact(self.run_id, name, data, media_type).sha256

    def log_figure(self, figure: Any, name: str = "figure") -> list[str]:
        """Store a matplotlib figure as ``name.png`` and ``name.svg``; returns both hashes."""
        from mlops_jupyter.tracking.artifact_formats import figure_files

        return [
            self.store.log_artifact(self.run_id, f"{name}.{ext}", data, media).sha256
            for ext, data, media in figure_files(figure)
        ]

    def log_table(self, frame: pd.DataFrame, name: str = "table") -> str:
        """Store a DataFrame as ``name.table.json`` (Table Schema: column types + rows) and its
        data profile as ``name.profile.json`` + ``name.sample.npz`` (monitoring/profile.py);
        a profile that cannot be made is one warning, never a failed log_table."""
        from mlops_jupyter.tracking.artifact_formats import TABLE_MEDIA_TYPE, table_json

        sha = self.store.log_artifact(
            self.run_id, f"{name}.table.json", table_json(frame), TABLE_MEDIA_TYPE
        ).sha256
        self._log_profile(frame, name)
        return sha

    def _log_profile(self, frame: pd.DataFrame, name: str) -> None:
        import warnings

        from mlops_jupyter.monitoring.artifacts import log_profile

        try:
            log_profile(self.store, self.run_id, frame, name)
        except Exception as err:
            warnings.warn(
                f"mlops-jupyter: no data profile for table {name!r} ({err})", stacklevel=3
            )

    def log_input(
        self, path: str | os.PathLike[str], name: str | None = None, snapshot: bool = False
    ) -> str | None:
        """Record an input data file (path, size, sha256, kind, schema) in the run's provenance;
        `snapshot` also keeps its content, so `runs inputs RUN --restore DIR` brings it back.
        Returns its sha256 (None for a file recorded by stat only: outside the project or over
        MLOPS_JUPYTER_INPUT_HASH_MAX)."""
        from mlops_jupyter.tracking.inputs import log_input

        return log_input(self, path, name, snapshot)

    # -- lifecycle ------------------------------------------------------------------------

    def flush(self) -> None:
        """Write buffered metrics now; points the store refuses are dropped with one warning.

        Raises:
            StoreUnavailableError: the store is away; the metrics stay buffered (or spooled).
        """
        self.metric_buffer.flush()

    def background_flush(self, heartbeat: bool) -> None:
        """One tick of the background flusher (see MetricBuffer.background_flush)."""
        self.metric_buffer.background_flush(heartbeat)

    def end(self, status: str = "finished", error: str | None = None) -> None:
        """Write the last metrics and the final status; ends this run's open child runs first
        (any thread). Idempotent. When the store is away it retries for a few seconds, then
        saves the points and the end to the spool (written at the store's next open): it never
        raises because of the store."""
        if self.status != "running":
            return
        for child in run_context.children_of(self.run_id):
            child.end(status, error)
        try:
            self.metric_buffer.finish(status, error)  # last metrics and status: one transaction
        finally:  # even when the store is gone, this run stops being the active one
            self.status = status
            run_context.forget(self)

    def record(self) -> RunRecord:
        """Everything stored for this run so far (flushes first)."""
        self.flush()
        return self.store.get_run(self.run_id)


def _guess_media_type(name: str) -> str:
    import mimetypes

    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def active_run() -> Run | None:
    """The innermost run started and not yet ended in this thread (or asyncio task), if any."""
    return run_context.active()


def open_runs() -> list[Run]:
    """Every run of this process not yet ended, any thread, in start order (e.g. to end them
    all in a test's cleanup)."""
    return run_context.open_runs()


def start_run(
    name: str | None = None,
    experiment: str | None = None,
    *,
    run_id: str | None = None,
    parent_run_id: str | None = None,
    params: Mapping[str, Any] | None = None,
    tags: Mapping[str, Any] | None = None,
    source_notebook: str | None = None,
    cell_id: str | None = None,
    store: RunStore | str | None = None,
    extra_provenance: Mapping[str, Any] | None = None,
) -> Run:
    """Start a run (or resume `run_id`) and make it the active run.

    Inside another active run of the same thread (or asyncio task), the new run becomes its
    child; a run started in a thread with no active run has no parent unless
    MLOPS_JUPYTER_PARENT_RUN is set. Metrics other processes spooled for this store while it was
    away are written first. The run records git, Python,
    package, host and seed provenance (cached per process).

    Args:
        name: Display name (default ``run-<id prefix>``).
        experiment: Experiment name (default MLOPS_JUPYTER_EXPERIMENT, else "Default").
        run_id: Resume this existing run instead of creating one.
        parent_run_id: Explicit parent (default: the active run, else MLOPS_JUPYTER_PARENT_RUN).
        params: Parameters to record at once.
        tags: Tags to set at once.
        source_notebook: Path of the notebook the run comes from.
        cell_id: Notebook cell id the run comes from.
        store: A RunStore or store URL (default: the project store).
        extra_provenance: Further provenance documents by kind (e.g. the cell).

    Returns:
        The new Run; use it in a ``with`` block or call ``end()``.
    """
    store = store if isinstance(store, RunStore) else open_store(store)
    replay_spool(store)
    parent = run_context.active()
    if parent_run_id is None:
        parent_run_id = parent.run_id if parent else env.get(env.PARENT_RUN)
    if experiment is None and parent_run_id:  # a child belongs with its parent
        experiment = (
            parent.experiment
            if parent and parent.run_id == parent_run_id
            else store.run_experiment(parent_run_id)
        )
    if run_id is not None:
        run = _resume(store, run_id)
    else:
        docs = {**provenance.capture(), **(extra_provenance or {})}
        new_id = store.create_run(
            experiment=experiment,
            name=name,
            parent_run_id=parent_run_id,
            source_notebook=source_notebook,
            cell_id=cell_id,
            params=params,
            tags=tags,
            provenance=docs,
        )
        run = Run(
            store,
            new_id,
            name or f"run-{new_id[:8]}",
            experiment or env.get(env.EXPERIMENT, env.DEFAULT_EXPERIMENT) or "",
            parent_run_id,
        )
    run_context.push(run)
    return run


def _resume(store: RunStore, run_id: str) -> Run:
    record = store.get_run(run_id)
    store.reopen_run(record.run_id)
    steps = {key: store.metric_history(record.run_id, key)[-1].step + 1 for key in record.metrics}
    return Run(store, record.run_id, record.name, record.experiment, record.parent_run_id, steps)


def end_run(status: str = "finished") -> None:
    """End this thread's active run (no-op when none is active)."""
    run = run_context.active()
    if run is not None:
        run.end(status)
