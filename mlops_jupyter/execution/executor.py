"""Executing a notebook job with papermill on a warm kernel, and recording it as a run.

`run_notebook` is the public entry point; `execute_in_run` is the piece sweeps and Dask tasks
share: one execution attempt of a job, recorded into an existing run.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_jupyter import env, tracking
from mlops_jupyter.errors import (
    KernelDiedError,
    NotebookError,
    NotebookExecutionError,
    NotebookTimeoutError,
    RunCancelledError,
)
from mlops_jupyter.execution.job import NotebookJob, prepare_job, source_bytes
from mlops_jupyter.execution.kernels import KernelPool, check_kernel
from mlops_jupyter.notebook.read import fast_nbformat
from mlops_jupyter.store import RunStore, open_store
from mlops_jupyter.store.records import RunRecord
from mlops_jupyter.tracking import provenance

if TYPE_CHECKING:
    from jupyter_client import AsyncKernelManager

    from mlops_jupyter.execution.cancel import CancelToken

IPYNB_MEDIA = "application/x-ipynb+json"
EXECUTED_ARTIFACT = "executed.ipynb"
SOURCE_ARTIFACT = "source.ipynb"


@dataclass
class Outcome:
    """How one execution attempt ended."""

    status: str  # "finished" or "failed"
    error: NotebookExecutionError | None
    output_path: str
    seconds: float
    kernel_wait: float = 0.0  # seconds the point waited for a ready kernel


def kernel_environment(store: RunStore) -> dict[str, str]:
    """Environment for kernels, so runs tracked inside record into the same store."""
    return {env.STORE: store.url, env.BLOBS: store.blobs.root}


def check_cwd(cwd: str | os.PathLike[str] | None) -> str:
    """The absolute working directory for kernels (default: the current one).

    Raises:
        NotebookError: the directory does not exist.
    """
    folder = Path(cwd or os.getcwd()).expanduser().resolve()
    if not folder.is_dir():
        raise NotebookError(
            f"working directory {os.fspath(cwd or '')!r} does not exist; "
            "pass an existing folder to --cwd"
        )
    return str(folder)


def begin_run(store: RunStore, *, top_level: bool = False, **fields: Any) -> tracking.Run:
    """`tracking.start_run`, or with `top_level` a run without any parent even when another run
    is active in this process (server actions: two sweeps must never nest).

    The top-level run is created without a parent and then resumed, so it is the active run of
    the caller like any other; `fields` are start_run's (name, experiment, params, tags, ...).
    """
    if not top_level or fields.get("parent_run_id"):
        return tracking.start_run(store=store, **fields)
    fields.pop("parent_run_id", None)
    run_id = store.create_run(provenance=provenance.capture(), **fields)
    return tracking.start_run(run_id=run_id, store=store)


def start_notebook_run(
    store: RunStore,
    job: NotebookJob,
    *,
    experiment: str | None = None,
    name: str | None = None,
    parent_run_id: str | None = None,
    tags: Mapping[str, Any] | None = None,
    cwd: str | None = None,
    top_level: bool = False,
) -> tracking.Run:
    """Create the run of a notebook execution: typed params, source notebook, tags.

    With `top_level` and no `parent_run_id` the run has no parent, whatever run is active.
    """
    run = begin_run(
        store,
        top_level=top_level,
        name=name or Path(job.path).stem,
        experiment=experiment,
        parent_run_id=parent_run_id,
        params=job.all_parameters,
        source_notebook=job.path,
        tags={
            "mlops.kind": "notebook",
            "mlops.kernel": job.kernel_name,
            "mlops.cwd": cwd or os.getcwd(),
            **(tags or {}),
        },
    )
    run.log_artifact(source_bytes(job), SOURCE_ARTIFACT, IPYNB_MEDIA)
    return run


def _notebook_for_kernel(job: NotebookJob, copy: Path) -> str:
    """The file %%track cells compare their history with: the user's notebook when it is on
    disk (so runs name it), else the copy being executed."""
    return job.path if Path(job.path).is_file() else str(copy)


def execute_job(
    job: NotebookJob,
    km: AsyncKernelManager,
    pool: KernelPool,
    *,
    run_id: str,
    output_path: str,
    timeout: float | None = None,
    progress_bar: bool = False,
    shown_path: str | None = None,
) -> Outcome:
    """Execute `job` with papermill on the pre-started kernel `km`, then discard the kernel.

    The kernel is told its run (MLOPS_JUPYTER_PARENT_RUN) so runs tracked inside become
    children; a watchdog kills it when `timeout` seconds pass. The executed notebook is
    written to `output_path` whatever happens; errors name `shown_path` (the user's output
    file, None for a temporary one).
    """
    fast_nbformat()
    import papermill
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    from mlops_jupyter.execution.engine import register, setup_code

    engine = register()
    timed_out = threading.Event()

    def on_timeout() -> None:
        timed_out.set()
        pool.kill_now(km)

    watchdog = threading.Timer(timeout or 0, on_timeout)
    if timeout:
        watchdog.daemon = True
        watchdog.start()
    started = time.perf_counter()
    error: NotebookExecutionError | None = None
    with tempfile.TemporaryDirectory(prefix="mlops-nb-") as tmp:
        source = Path(tmp) / Path(job.path).name
        source.write_text(job.source, encoding="utf-8")
        try:
            papermill.execute_notebook(
                str(source),
                output_path,
                parameters=job.parameters or None,
                engine_name=engine,
                kernel_name=job.kernel_name,
                language=job.language,
                progress_bar=progress_bar,
                km=km,
                setup_code=setup_code(
                    {env.PARENT_RUN: run_id, env.NOTEBOOK: _notebook_for_kernel(job, source)}
                ),
                execution_timeout=timeout,
            )
        except PapermillExecutionError as err:
            error = _cell_error(job, output_path, err.ename, err.evalue, shown_path)
        except (DeadKernelError, CellTimeoutError, RuntimeError) as err:
            if (
                not timed_out.is_set()
                and isinstance(err, RuntimeError)
                and not isinstance(err, DeadKernelError)
                and "Kernel died" not in str(err)
            ):
                raise
            error = _kernel_error(
                job,
                getattr(err, "mlops_cell", None),
                timeout,
                timed_out.is_set() or isinstance(err, CellTimeoutError),
            )
        finally:
            watchdog.cancel()
            pool.discard(km)
    _fix_input_path(output_path, job.path)
    return Outcome(
        "failed" if error else "finished", error, output_path, time.perf_counter() - started
    )


def _executed_cells(output_path: str) -> list[Any]:
    import nbformat

    try:
        return list(nbformat.read(output_path, as_version=4).cells)
    except Exception:
        return []


def _cell_error(
    job: NotebookJob, output_path: str, ename: str, evalue: str, shown_path: str | None
) -> NotebookExecutionError:
    """The error of the first failing cell, indexed in the SOURCE notebook."""
    for cell in _executed_cells(output_path):
        error = next((o for o in cell.get("outputs", ()) if o.get("output_type") == "error"), None)
        if error is not None:
            index = job.source_cell_index(cell)
            return NotebookExecutionError(
                -1 if index is None else index,
                ename,
                evalue,
                shown_path,
                execution_count=cell.get("execution_count"),
                source=cell.get("source", ""),
                traceback="\n".join(error.get("traceback") or ()),
            )
    return NotebookExecutionError(-1, ename, evalue, shown_path)


def _kernel_error(
    job: NotebookJob, cell: Any, timeout: float | None, timed_out: bool
) -> NotebookExecutionError:
    """A timeout or a dead kernel, at the cell that was running (indexed in the source)."""
    found = None if cell is None else job.source_cell_index(cell)
    index = -1 if found is None else found
    if timed_out and timeout:
        return NotebookTimeoutError(timeout, index, output_path=None)
    return KernelDiedError(index)


def _fix_input_path(output_path: str, input_path: str) -> None:
    """papermill recorded our temporary copy as the input; record the real source."""
    import nbformat

    try:
        nb = nbformat.read(output_path, as_version=4)
    except Exception:
        return
    nb.metadata.setdefault("papermill", {})["input_path"] = input_path
    nbformat.write(nb, output_path)


def record_outcome(run: tracking.Run, outcome: Outcome, attempt: int = 1) -> None:
    """Store the executed notebook, roll up metrics of runs tracked inside, end the run."""
    store = run.store
    if Path(outcome.output_path).is_file():
        run.log_artifact(outcome.output_path, EXECUTED_ARTIFACT, IPYNB_MEDIA)
    rollup_child_metrics(store, run)
    tags: dict[str, Any] = {
        "mlops.attempts": attempt,
        "mlops.execution_seconds": round(outcome.seconds, 3),
        "mlops.kernel_wait_seconds": round(outcome.kernel_wait, 3),
    }
    if outcome.error is not None:
        tags.update(
            {"mlops.error_cell": outcome.error.cell_index, "mlops.error_name": outcome.error.ename}
        )
    run.set_tags(tags)
    run.end(outcome.status, error=None if outcome.error is None else str(outcome.error))


def rollup_child_metrics(store: RunStore, run: tracking.Run) -> None:
    """Copy the latest metrics of runs tracked inside the notebook onto the notebook's run.

    Runs recorded by ``%%track`` cells or ``log_metric`` calls inside the kernel are children;
    their final values on the parent make sweeps comparable and `reproduce` checkable. Later
    children win over earlier ones; the run's own metrics win over its children's.
    """
    children = store.search_runs(parent_run_id=run.run_id, order_by="start_time")
    merged: dict[str, float] = {}
    for child in children:
        merged.update(child.metrics)
    own = store.get_run(run.run_id).metrics
    new = {k: v for k, v in merged.items() if k not in own}
    if new:
        run.log_metrics(new, step=0)


def run_notebook(
    path: str | os.PathLike[str],
    parameters: Mapping[str, Any] | None = None,
    *,
    output_path: str | os.PathLike[str] | None = None,
    timeout: float | None = None,
    cwd: str | os.PathLike[str] | None = None,
    store: RunStore | str | None = None,
    experiment: str | None = None,
    name: str | None = None,
    parent_run_id: str | None = None,
    kernel_name: str | None = None,
    parameter_files: tuple[str, ...] = (),
    progress_bar: bool | None = None,
    top_level: bool = False,
    cancel: CancelToken | None = None,
) -> RunRecord:
    """Execute a notebook with papermill in a fresh kernel and record it as a run.

    Parameters are validated against the notebook's ``parameters`` cell before any kernel
    starts. The source notebook is never modified; the executed notebook is stored as the
    run's ``executed.ipynb`` artifact (and written to `output_path` when given).

    Args:
        path: The notebook.
        parameters: Values for the parameters cell (converted to its declared types).
        output_path: Where to also write the executed notebook.
        timeout: Seconds the whole run may take; then the kernel is killed.
        cwd: Working directory of the kernel (default: the current directory).
        store: RunStore or store URL (default: the project store).
        experiment: Experiment of the run.
        name: Run name (default: the notebook's stem).
        parent_run_id: Parent run (default: the active run, else MLOPS_JUPYTER_PARENT_RUN).
        kernel_name: Kernelspec (default: the notebook's).
        parameter_files: YAML/JSON files of values, applied before `parameters`.
        progress_bar: Show papermill's progress bar (default: when stderr is a terminal).
        top_level: Record a run without parent even inside another active run (server actions).
        cancel: A CancelToken; cancelling kills the kernel and ends the run ``killed``.

    Returns:
        The finished run's record.

    Raises:
        InvalidParameterError: unknown name, wrong type, or no parameters cell (no kernel ran).
        NotebookExecutionError: a cell failed, the kernel died or the timeout hit; the failed
            run is recorded, its id is the exception's ``run_id``. RunCancelledError when
            `cancel` was set.
    """
    job = prepare_job(path, parameters, files=parameter_files, kernel_name=kernel_name)
    return run_job(
        job,
        output_path=output_path,
        timeout=timeout,
        cwd=cwd,
        store=store,
        experiment=experiment,
        name=name,
        parent_run_id=parent_run_id,
        progress_bar=progress_bar,
        top_level=top_level,
        cancel=cancel,
    )


def run_job(
    job: NotebookJob,
    *,
    output_path: str | os.PathLike[str] | None = None,
    timeout: float | None = None,
    cwd: str | os.PathLike[str] | None = None,
    store: RunStore | str | None = None,
    experiment: str | None = None,
    name: str | None = None,
    parent_run_id: str | None = None,
    progress_bar: bool | None = None,
    tags: Mapping[str, Any] | None = None,
    top_level: bool = False,
    cancel: CancelToken | None = None,
) -> RunRecord:
    """`run_notebook` for an already validated job (see there for the arguments)."""
    if timeout is not None and not timeout > 0:
        raise NotebookError(
            f"timeout={timeout!r}: expected a number of seconds > 0 (or None for no limit)"
        )
    folder = check_cwd(cwd)
    check_kernel(job.kernel_name)
    store = store if isinstance(store, RunStore) else open_store(store)
    show_bar = sys.stderr.isatty() if progress_bar is None else progress_bar
    with KernelPool(job.kernel_name, 1, cwd=folder, env=kernel_environment(store)) as pool:
        pool.expect(1)  # the kernel boots while the run is recorded
        run = start_notebook_run(
            store,
            job,
            experiment=experiment,
            name=name,
            parent_run_id=parent_run_id,
            cwd=folder,
            tags=tags,
            top_level=top_level,
        )
        outcome = execute_recorded(run, job, pool, output_path, timeout, show_bar, cancel=cancel)
    if outcome.error is not None:
        outcome.error.run_id = run.run_id
        raise outcome.error
    return store.get_run(run.run_id)


def execute_recorded(
    run: tracking.Run,
    job: NotebookJob,
    pool: KernelPool,
    output_path: str | os.PathLike[str] | None,
    timeout: float | None,
    progress_bar: bool,
    attempt: int = 1,
    *,
    cancel: CancelToken | None = None,
) -> Outcome:
    """Acquire a kernel, execute, record; a kernel that cannot start fails the run.

    With `cancel`, the kernel is registered so that cancelling kills it; the run then ends
    ``killed`` with a RunCancelledError as the outcome's error.
    """
    with tempfile.TemporaryDirectory(prefix="mlops-out-") as tmp:
        out = os.fspath(output_path) if output_path else str(Path(tmp) / Path(job.path).name)
        if output_path:
            Path(out).parent.mkdir(parents=True, exist_ok=True)
        try:
            waited = time.perf_counter()
            km = pool.acquire()
            waited = time.perf_counter() - waited
            if cancel is not None:
                cancel.watch(km)  # killed at once when the job was cancelled meanwhile
            try:
                outcome = execute_job(
                    job,
                    km,
                    pool,
                    run_id=run.run_id,
                    output_path=out,
                    timeout=timeout,
                    progress_bar=progress_bar,
                    shown_path=os.fspath(output_path) if output_path else None,
                )
            finally:
                if cancel is not None:
                    cancel.unwatch(km)
        except BaseException as err:
            run.end(
                "killed"
                if isinstance(err, KeyboardInterrupt) or (cancel is not None and cancel.cancelled)
                else "failed",
                error=f"{type(err).__name__}: {err}",
            )
            raise
        outcome.kernel_wait = waited
        if cancel is not None and cancel.cancelled:
            cell = outcome.error.cell_index if outcome.error is not None else -1
            outcome.status, outcome.error = "killed", RunCancelledError(cell)
        record_outcome(run, outcome, attempt)
    return outcome
