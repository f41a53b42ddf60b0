"""The run of a whole execution (a notebook, a converted pipeline) carries the final metrics of
the runs tracked inside it, so gates, sweeps and `reproduce` read one run."""

from __future__ import annotations

from mlops_jupyter.store import RunStore
from mlops_jupyter.tracking.run import Run


def rollup_child_metrics(store: RunStore, run: Run) -> None:
    """Copy the latest metrics of runs tracked inside `run` onto it.

    Runs recorded by ``%%track`` cells (or a converted package's tracked steps) or
    ``log_metric`` calls inside are children; their final values on the parent make sweeps
    comparable and `reproduce` checkable. Later children win over earlier ones; the run's own
    metrics win over its children's.
    """
    children = store.search_runs(parent_run_id=run.run_id, order_by="start_time")
    merged: dict[str, float] = {}
    for child in children:
        merged.update(child.metrics)
    own = store.get_run(run.run_id).metrics
    new = {k: v for k, v in merged.items() if k not in own}
    if new:
        run.log_metrics(new, step=0)
