"""Executing a notebook job with papermill on a warm kernel, and recording it as a run.

`run_notebook` is the public entry point; `execute_recorded` is the piece sweeps and Dask tasks
share: one execution attempt of a job (execution/attempt.py), recorded into an existing run
(execution/recording.py).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_jupyter import env, tracking
from mlops_jupyter.errors import NotebookError, RunCancelledError
from mlops_jupyter.execution.attempt import Outcome, execute_job
from mlops_jupyter.execution.job import NotebookJob, prepare_job
from mlops_jupyter.execution.kernel_specs import check_kernel
from mlops_jupyter.execution.kernels import KernelPool
from mlops_jupyter.execution.preimports import leading_imports
from mlops_jupyter.execution.recording import record_outcome, start_notebook_run
from mlops_jupyter.store import RunStore, open_store
from mlops_jupyter.store.records import RunRecord

if TYPE_CHECKING:
    from mlops_jupyter.execution.cancel import CancelToken


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
    on_cell: Callable[[int, int], None] | None = None,
) -> RunRecord:
    """Execute a notebook with papermill in a fresh kernel and record it as a run.

    When a sweep of the same notebook (same imports, folder and environment) kept its kernel
    template warm in this process (``sweep_notebook(..., keep_warm=True)``), the kernel is
    forked from it: a fresh process that starts with the notebook's modules already imported.

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
        on_cell: Called as ``on_cell(k, n)`` when code cell k of n starts (the notebook's
            non-empty code cells, papermill's injected parameters not counted), from the
            thread running the notebook: how the server's job line says "running cell k of n".

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
        on_cell=on_cell,
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
    on_cell: Callable[[int, int], None] | None = None,
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
    with KernelPool(
        job.kernel_name,
        1,
        cwd=folder,
        env=kernel_environment(store),
        preimports=leading_imports(job.source),
        start_template=False,  # a template a sweep of this notebook left warm, else fresh
    ) as pool:
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
        outcome = execute_recorded(
            run, job, pool, output_path, timeout, show_bar, cancel=cancel, on_cell=on_cell
        )
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
    on_cell: Callable[[int, int], None] | None = None,
) -> Outcome:
    """Acquire a kernel, execute, record; a kernel that cannot start fails the run.

    With `cancel`, the kernel is registered so that cancelling kills it; the run then ends
    ``killed`` with a RunCancelledError as the outcome's error. `on_cell(k, n)` is called as
    code cell k of n starts.
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
                    on_cell=on_cell,
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
            outcome.status, outcome.error = cancel.status, RunCancelledError(cell)
            if cancel.status != "killed" or cancel.reason.startswith("interrupted"):
                # pruned, or Ctrl-C: say why, not "the job was cancelled"
                outcome.error.args = (f"{cancel.status}: {cancel.reason}",)
        record_outcome(run, outcome, attempt)
    return outcome
