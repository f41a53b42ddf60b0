"""One sweep point, executed into its child run with retries: shared by every sweep back-end."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_jupyter import tracking
from mlops_jupyter.errors import MlopsJupyterError
from mlops_jupyter.execution.attempt import Outcome, wait_for_preload
from mlops_jupyter.execution.executor import execute_recorded
from mlops_jupyter.execution.job import NotebookJob
from mlops_jupyter.execution.kernels import KernelPool
from mlops_jupyter.execution.recording import start_notebook_run
from mlops_jupyter.store import RunStore

if TYPE_CHECKING:
    from mlops_jupyter.execution.cancel import CancelToken

#: The tag holding a point's index on its child run.
POINT_TAG = "mlops.sweep.point"


@dataclass
class PointResult:
    """How one sweep point ended."""

    index: int
    values: dict[str, Any]
    run_id: str | None = None
    status: str = "missing"
    attempts: int = 0
    error: str | None = None
    seconds: float = 0.0
    metrics: dict[str, float] = field(default_factory=dict)


def execute_point(
    store: RunStore,
    sweep_id: str,
    index: int,
    job: NotebookJob,
    pool: KernelPool,
    run_id: str | None = None,
    *,
    timeout: float | None,
    retries: int,
    cwd: str,
    output_dir: str | None = None,
    cancel: CancelToken | None = None,
) -> PointResult:
    """Execute one point into its child run (created, or resumed from `run_id`), retrying."""
    wait_for_preload()  # no import in another thread while this point records its run
    values = dict(job.parameters)
    if run_id is None:
        run = start_notebook_run(
            store,
            job,
            parent_run_id=sweep_id,
            cwd=cwd,
            name=f"{Path(job.path).stem}[{index}]",
            tags={POINT_TAG: index},
        )
    else:
        run = tracking.start_run(run_id=run_id, store=store)
    previous = int(store.get_run(run.run_id).tags.get("mlops.attempts", 0))
    out = os.path.join(output_dir, f"{Path(job.path).stem}-{index}.ipynb") if output_dir else None
    outcome: Outcome | None = None
    error: str | None = None
    for attempt in range(previous + 1, previous + retries + 2):
        if attempt > previous + 1:
            pool.expect(1)
            run = tracking.start_run(run_id=run.run_id, store=store)
        try:
            outcome = execute_recorded(run, job, pool, out, timeout, False, attempt, cancel=cancel)
            error = None if outcome.error is None else str(outcome.error)
        except MlopsJupyterError as err:  # kernel could not start: the run is already failed
            outcome, error = None, str(err)
        if (outcome is not None and outcome.status == "finished") or (
            cancel is not None and cancel.cancelled
        ):
            break
    record = store.get_run(run.run_id)
    attempts = int(record.tags.get("mlops.attempts", attempt))
    return PointResult(
        index,
        values,
        run.run_id,
        record.status,
        attempts,
        error,
        record.duration or 0.0,
        dict(record.metrics),
    )
