"""One execution attempt of a job: papermill on a warm kernel, and how it ended (Outcome).

A failing cell, a timeout or a dead kernel becomes a NotebookExecutionError indexed in the
SOURCE notebook (the executed copy has papermill's injected cell), so the user finds the cell.
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_jupyter import env
from mlops_jupyter.errors import KernelDiedError, NotebookExecutionError, NotebookTimeoutError
from mlops_jupyter.execution.job import NotebookJob
from mlops_jupyter.execution.kernels import KernelPool
from mlops_jupyter.notebook.read import fast_nbformat

if TYPE_CHECKING:
    from jupyter_client import AsyncKernelManager


@dataclass
class Outcome:
    """How one execution attempt ended."""

    status: str  # "finished" or "failed"
    error: NotebookExecutionError | None
    output_path: str
    seconds: float
    kernel_wait: float = 0.0  # seconds the point waited for a ready kernel


def _notebook_for_kernel(job: NotebookJob, copy: Path) -> str:
    """The file %%track cells compare their history with: the user's notebook when it is on
    disk (so runs name it), else the copy being executed."""
    return job.path if Path(job.path).is_file() else str(copy)


def preload() -> None:
    """Import what `execute_job` needs (papermill, nbclient, our engine: ~1 s): a sweep calls
    this in a thread while its kernel template imports, so its first point does not pay it."""
    fast_nbformat()
    import papermill  # noqa: F401
    from nbclient.exceptions import CellTimeoutError  # noqa: F401

    from mlops_jupyter.execution.engine import register

    register()


_preloading: list[threading.Thread] = []


def preload_in_background() -> None:
    """`preload` in a daemon thread (an import error surfaces in the point, as without it).

    Imports in two threads at once can show a module half initialised (numpy, to provenance's
    capture): call it only after the sweep run is recorded, and `wait_for_preload` before a
    point records its own run."""

    def run() -> None:
        try:
            preload()
        except Exception:  # the first point imports again and reports it
            pass

    thread = threading.Thread(target=run, name="mlops-preload", daemon=True)
    _preloading.append(thread)
    thread.start()


def wait_for_preload() -> None:
    """Block until a background `preload` has finished (at once when none runs)."""
    for thread in list(_preloading):
        thread.join()
        if thread in _preloading:
            _preloading.remove(thread)


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
    on_cell: Callable[[int, int], None] | None = None,
) -> Outcome:
    """Execute `job` with papermill on the pre-started kernel `km`, then discard the kernel.

    The kernel is told its run (MLOPS_JUPYTER_PARENT_RUN) so runs tracked inside become
    children; a watchdog kills it when `timeout` seconds pass. The executed notebook is
    written to `output_path` whatever happens; errors name `shown_path` (the user's output
    file, None for a temporary one). `on_cell(k, n)` is called as code cell k of n starts.
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
        source.write_text(_evaluated_only(job.source), encoding="utf-8")
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
                source_path=job.path,
                on_cell=on_cell,
            )
        except PapermillExecutionError as err:
            error = _cell_error(job, output_path, err, shown_path)
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
    return Outcome(
        "failed" if error else "finished", error, output_path, time.perf_counter() - started
    )


def _evaluated_only(source: str) -> str:
    """The notebook with its `#| eval: false` cells (nbdev, Quarto) made raw: kept in place, so
    cell indices hold, but not run, as nbdev_test and Quarto do not run them."""
    import json

    from mlops_jupyter.notebook.roles import cell_roles

    nb = json.loads(source)
    changed = False
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code" and cell_roles(cell).no_eval:
            cell["cell_type"] = "raw"
            for key in ("outputs", "execution_count"):
                cell.pop(key, None)
            changed = True
    return json.dumps(nb) if changed else source


def _executed_cells(output_path: str) -> list[Any]:
    import nbformat

    try:
        return list(nbformat.read(output_path, as_version=4).cells)
    except Exception:
        return []


def _cell_error(
    job: NotebookJob, output_path: str, err: Any, shown_path: str | None
) -> NotebookExecutionError:
    """The error of the failing cell, indexed in the SOURCE notebook.

    A cell that fails without an error output (an undefined line magic: IPython prints a
    UsageError and the reply says "error") is found by papermill's own cell index, and its
    message is read from the cell's stderr, so the error never names "cell -1" or no cause.
    """
    cells = _executed_cells(output_path)
    found = next(
        (
            (cell, output)
            for cell in cells
            for output in cell.get("outputs", ())
            if output.get("output_type") == "error"
        ),
        None,
    )
    if found is None:  # papermill's cell_index counts the warning cells it adds: match source
        found = next(
            (
                (cell, None)
                for cell in cells
                if cell.get("cell_type") == "code"
                and cell.get("source") == getattr(err, "source", None)
                and cell.get("execution_count") == getattr(err, "exec_count", None)
            ),
            None,
        )
    if found is None:
        return NotebookExecutionError(-1, err.ename, err.evalue, shown_path)
    cell, output = found
    index = job.source_cell_index(cell)
    ename, evalue = err.ename, err.evalue
    if output is None and ename == "CellExecutionError":
        ename, evalue = _stderr_cause(cell) or (ename, evalue)
    return NotebookExecutionError(
        -1 if index is None else index,
        ename,
        evalue,
        shown_path,
        execution_count=cell.get("execution_count"),
        source=cell.get("source", ""),
        traceback="\n".join((output or {}).get("traceback") or ()),
    )


def _stderr_cause(cell: Any) -> tuple[str, str] | None:
    """``("UsageError", "Line magic function `%x` not found.")`` from a cell's stderr."""
    for output in cell.get("outputs", ()):
        if output.get("output_type") == "stream" and output.get("name") == "stderr":
            for line in str(output.get("text", "")).splitlines():
                name, sep, message = line.partition(": ")
                if sep and name.isidentifier() and name[0].isupper():
                    return name, message.strip()
    return None


def _kernel_error(
    job: NotebookJob, cell: Any, timeout: float | None, timed_out: bool
) -> NotebookExecutionError:
    """A timeout or a dead kernel, at the cell that was running (indexed in the source)."""
    found = None if cell is None else job.source_cell_index(cell)
    index = -1 if found is None else found
    if timed_out and timeout:
        return NotebookTimeoutError(timeout, index, output_path=None)
    return KernelDiedError(index)
