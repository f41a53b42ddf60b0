"""How a notebook execution is recorded: its run (typed params, source notebook, tags) and its
end (executed notebook, metrics rolled up from runs tracked inside, attempt tags)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlops_jupyter import tracking
from mlops_jupyter.execution.attempt import Outcome
from mlops_jupyter.execution.job import NotebookJob, source_bytes
from mlops_jupyter.store import RunStore
from mlops_jupyter.tracking import provenance
from mlops_jupyter.tracking.rollup import rollup_child_metrics

IPYNB_MEDIA = "application/x-ipynb+json"
EXECUTED_ARTIFACT = "executed.ipynb"
SOURCE_ARTIFACT = "source.ipynb"


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
