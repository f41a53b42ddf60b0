"""The active run, metric buffering, and run lifecycle: the Python tracking API.

Metrics are appended to an in-memory buffer (a lock and a list append: about a microsecond) and
written in batches by a background thread every ~0.5 s, at run end and at interpreter exit, so
a training loop never waits on the database.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from mlops_jupyter import env
from mlops_jupyter.tracking import provenance
from mlops_jupyter.errors import RunStateError
from mlops_jupyter.store import RunStore, open_store
from mlops_jupyter.store.records import RunRecord
from mlops_jupyter.store.values import metric_value

if TYPE_CHECKING:
    import pandas as pd

_BUFFER_LIMIT = 50_000
_HEARTBEAT_SECONDS = 15.0


class Run:
    """One run being recorded; use as a context manager or call `end()`.

    Leaving the ``with`` block normally finishes the run; an exception marks it failed (with
    the traceback) and still propagates; KeyboardInterrupt marks it killed.
    """

    def __init__(self, store: RunStore, run_id: str, name: str, experiment: str,
                 parent_run_id: str | None, next_steps: dict[str, int] | None = None) -> None:
        self.store, self.run_id, self.name = store, run_id, name
        self.experiment, self.parent_run_id = experiment, parent_run_id
        self.status = "running"
        self._pending: list[tuple[str, str, int, float, float]] = []
        self._lock = threading.Lock()  # guards the buffer: held for microseconds
        self._flush_lock = threading.Lock()  # one flush at a time, so end() waits for in-flight
        self._next_step: dict[str, int] = dict(next_steps or {})
        self._inputs: list[dict[str, Any]] = []

    def __repr__(self) -> str:
        return f"<Run {self.run_id[:8]} {self.name!r} {self.status}>"

    def __enter__(self) -> "Run":
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
            raise RunStateError(f"run {self.run_id[:8]} ({self.name}) has ended ({self.status}); "
                                "start a new run with start_run()")

    def log_param(self, key: str, value: Any) -> None:
        """Record one parameter (type kept: int, float, bool, str, None, lists/dicts as JSON)."""
        self.log_params({key: value})

    def log_params(self, params: Mapping[str, Any]) -> None:
        """Record several parameters in one write."""
        self._check_open()
        self.store.log_params(self.run_id, params)

    def log_metric(self, key: str, value: Any, step: int | None = None,
                   timestamp: float | None = None) -> None:
        """Buffer one metric value; `step` defaults to the metric's next step (0, 1, 2, ...).

        Raises:
            InvalidMetricError: `value` is not a number (checked now, not at flush time).
        """
        value = value if type(value) is float else metric_value(key, value)
        with self._lock:
            if step is None:
                step = self._next_step.get(key, 0)
            self._next_step[key] = max(step + 1, self._next_step.get(key, 0))
            self._pending.append((self.run_id, key, step, value, timestamp or time.time()))
            full = len(self._pending) >= _BUFFER_LIMIT
        if full:
            self.flush()

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

    def log_artifact(self, data: bytes | str | os.PathLike[str], name: str | None = None,
                     media_type: str | None = None) -> str:
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

        return [self.store.log_artifact(self.run_id, f"{name}.{ext}", data, media).sha256
                for ext, data, media in figure_files(figure)]

    def log_table(self, frame: "pd.DataFrame", name: str = "table") -> str:
        """Store a DataFrame as ``name.table.json`` (Table Schema: column types + rows)."""
        from mlops_jupyter.tracking.artifact_formats import TABLE_MEDIA_TYPE, table_json

        return self.store.log_artifact(self.run_id, f"{name}.table.json", table_json(frame),
                                       TABLE_MEDIA_TYPE).sha256

    def log_input(self, path: str | os.PathLike[str], name: str | None = None) -> str:
        """Record the sha256 of an input data file (not its content) in the run's provenance."""
        from mlops_jupyter.errors import ArtifactSourceError
        from mlops_jupyter.store.blobs import sha256_file

        if not Path(path).is_file():
            raise ArtifactSourceError(os.fspath(path), "log_input")
        sha, size = sha256_file(path)
        self._inputs.append({"name": name or Path(path).name, "path": os.fspath(path),
                             "sha256": sha, "size": size})
        self.store.set_provenance(self.run_id, {"inputs": self._inputs})
        return sha

    # -- lifecycle ------------------------------------------------------------------------

    def flush(self) -> None:
        """Write buffered metrics now. On failure the metrics stay buffered and it raises."""
        with self._flush_lock:
            with self._lock:
                batch, self._pending = self._pending, []
            if not batch:
                return
            try:
                self.store.log_metrics(batch)
            except BaseException:
                with self._lock:
                    self._pending[:0] = batch
                raise

    def end(self, status: str = "finished", error: str | None = None) -> None:
        """Flush, then set the final status; ends active child runs first. Idempotent."""
        if self.status != "running":
            return
        for child in [r for r in _context.stack if r.parent_run_id == self.run_id]:
            child.end(status, error)
        try:
            with self._flush_lock:  # the last metrics and the status go in one transaction
                with self._lock:
                    batch, self._pending = self._pending, []
                self.store.end_run(self.run_id, status, error, metrics=batch)
        finally:  # even when the store is gone, this run stops being the active one
            self.status = status
            _context.forget(self)

    def record(self) -> RunRecord:
        """Everything stored for this run so far (flushes first)."""
        self.flush()
        return self.store.get_run(self.run_id)


def _guess_media_type(name: str) -> str:
    import mimetypes

    return mimetypes.guess_type(name)[0] or "application/octet-stream"


class _Context:
    """The one active-run context of the process: the run stack, and the background flusher."""

    def __init__(self) -> None:
        self.stack: list[Run] = []
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.failed_exit = False

    def push(self, run: Run) -> None:
        with self._lock:
            self.stack.append(run)
            if self._thread is None:
                self._thread = threading.Thread(target=self._flush_loop, name="mlops-flush",
                                                daemon=True)
                self._thread.start()
                atexit.register(self.close)
                _install_excepthook(self)

    def forget(self, run: Run) -> None:
        with self._lock:
            if run in self.stack:
                self.stack.remove(run)

    def active(self) -> Run | None:
        return self.stack[-1] if self.stack else None

    def _flush_loop(self) -> None:
        interval = env.get_float(env.FLUSH_INTERVAL, 0.5)
        last_beat = time.monotonic()
        warned = False
        while not self._wake.wait(interval):
            beat = time.monotonic() - last_beat > _HEARTBEAT_SECONDS
            for run in list(self.stack):
                try:
                    run.flush()
                    if beat:
                        run.store.heartbeat([run.run_id])
                    warned = False
                except Exception as err:  # noqa: BLE001 - kept buffered, retried next tick
                    if not warned:
                        print(f"mlops-jupyter: could not write metrics yet ({err}); "
                              "they stay buffered and are retried", file=sys.stderr)
                        warned = True
            if beat:
                last_beat = time.monotonic()

    def close(self) -> None:
        """At exit: write what is buffered and end runs still open."""
        self._wake.set()
        status = "failed" if self.failed_exit else "finished"
        for run in reversed(list(self.stack)):
            try:
                run.end(status, error="the process exited with an uncaught exception"
                        if self.failed_exit else None)
            except Exception as err:  # noqa: BLE001 - exit must go on
                print(f"mlops-jupyter: could not close run {run.run_id[:8]}: {err}",
                      file=sys.stderr)


def _install_excepthook(context: _Context) -> None:
    previous = sys.excepthook

    def hook(exc_type: Any, exc: Any, tb: Any) -> None:
        context.failed_exit = True
        previous(exc_type, exc, tb)
    sys.excepthook = hook


_context = _Context()


def active_run() -> Run | None:
    """The innermost run started and not yet ended in this process, if any."""
    return _context.active()


def start_run(name: str | None = None, experiment: str | None = None, *,
              run_id: str | None = None, parent_run_id: str | None = None,
              params: Mapping[str, Any] | None = None, tags: Mapping[str, Any] | None = None,
              source_notebook: str | None = None, cell_id: str | None = None,
              store: RunStore | str | None = None, extra_provenance: Mapping[str, Any] | None = None
              ) -> Run:
    """Start a run (or resume `run_id`) and make it the active run.

    Inside another active run, the new run becomes its child. The run records git, Python,
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
    parent = _context.active()
    if parent_run_id is None:
        parent_run_id = parent.run_id if parent else env.get(env.PARENT_RUN)
    if experiment is None and parent_run_id:  # a child belongs with its parent
        experiment = (parent.experiment if parent and parent.run_id == parent_run_id
                      else store.run_experiment(parent_run_id))
    if run_id is not None:
        run = _resume(store, run_id)
    else:
        docs = {**provenance.capture(), **(extra_provenance or {})}
        new_id = store.create_run(
            experiment=experiment, name=name, parent_run_id=parent_run_id,
            source_notebook=source_notebook, cell_id=cell_id, params=params, tags=tags,
            provenance=docs)
        run = Run(store, new_id, name or f"run-{new_id[:8]}",
                  experiment or env.get(env.EXPERIMENT, env.DEFAULT_EXPERIMENT) or "",
                  parent_run_id)
    _context.push(run)
    return run


def _resume(store: RunStore, run_id: str) -> Run:
    record = store.get_run(run_id)
    store.reopen_run(record.run_id)
    steps = {key: store.metric_history(record.run_id, key)[-1].step + 1 for key in record.metrics}
    return Run(store, record.run_id, record.name, record.experiment, record.parent_run_id, steps)


def end_run(status: str = "finished") -> None:
    """End the active run (no-op when none is active)."""
    run = _context.active()
    if run is not None:
        run.end(status)
