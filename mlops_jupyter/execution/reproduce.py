"""`reproduce`: re-execute a run's recorded source with its recorded parameters and compare.

The verdict is recorded on the original run (tags ``mlops.reproduce.*``, including the new
run's id) and the new run is tagged with the run it reproduces, so both directions are linked.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlops_jupyter.errors import NotebookExecutionError, RunStateError
from mlops_jupyter.execution.executor import check_cwd
from mlops_jupyter.execution.reproduce_cells import compared_run, plan_reproduction
from mlops_jupyter.formatting import fmt_value, table
from mlops_jupyter.store import RunStore, open_store

if TYPE_CHECKING:
    from collections.abc import Callable

    from mlops_jupyter.execution.cancel import CancelToken

REPRODUCED, NOT_REPRODUCED = "reproduced", "not reproduced"


@dataclass
class MetricCheck:
    """One metric compared between the original run and its re-execution."""

    key: str
    original: float | None
    new: float | None
    verdict: str  # "same", "within tolerance", "differs", "missing", "new"


@dataclass
class ReproduceResult:
    """The outcome of `reproduce_run`."""

    run_id: str
    new_run_id: str
    verdict: str
    checks: list[MetricCheck] = field(default_factory=list)
    reason: str = ""

    @property
    def reproduced(self) -> bool:
        """True when the re-execution finished and every metric matched."""
        return self.verdict == REPRODUCED

    def table(self) -> str:
        """The verdict table printed by ``mlops-jupyter reproduce``."""
        rows = [[c.key, c.original, c.new, _rel(c), c.verdict] for c in self.checks]
        head = (
            f"run {self.run_id[:8]} re-executed as {self.new_run_id[:8]}: "
            f"{self.verdict.upper()}" + (f" ({self.reason})" if self.reason else "")
        )
        return (
            head + "\n" + table(["metric", "original", "reproduced", "rel. diff", "verdict"], rows)
        )


def _rel(check: MetricCheck) -> str:
    if check.original is None or check.new is None:
        return "-"
    scale = max(abs(check.original), abs(check.new))
    return fmt_value(0.0 if scale == 0 else abs(check.original - check.new) / scale)


def compare_metrics(
    original: dict[str, float], new: dict[str, float], rtol: float, atol: float
) -> list[MetricCheck]:
    """Compare every metric of either run (NaN equals NaN)."""
    checks = []
    for key in sorted(set(original) | set(new)):
        a, b = original.get(key), new.get(key)
        if a is None:
            verdict = "new"
        elif b is None:
            verdict = "missing"
        elif a == b or (math.isnan(a) and math.isnan(b)):
            verdict = "same"
        elif math.isclose(a, b, rel_tol=rtol, abs_tol=atol):
            verdict = "within tolerance"
        else:
            verdict = "differs"
        checks.append(MetricCheck(key, a, b, verdict))
    return checks


def reproduce_run(
    run_id: str,
    *,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    timeout: float | None = None,
    store: RunStore | str | None = None,
    cwd: str | None = None,
    top_level: bool = False,
    cancel: CancelToken | None = None,
    on_cell: Callable[[int, int], None] | None = None,
) -> ReproduceResult:
    """Re-execute a run's recorded notebook with its recorded parameters in a fresh kernel.

    A ``%%track`` run is reproduced from the cells its inputs came from (interactive), or
    through its parent's notebook (inside `run`/`sweep`); see ``reproduce_cells``.

    Args:
        run_id: The run (or a unique prefix) recorded by `run`, a sweep point or `reproduce`.
        rtol: Relative tolerance of the metric comparison.
        atol: Absolute tolerance of the metric comparison.
        timeout: Seconds the re-execution may take.
        store: RunStore or URL (default: the project store).
        cwd: Working directory (default: the recorded one when it exists, else the current).
        top_level: Record the re-execution without a parent even inside an active run.
        cancel: A CancelToken that stops the re-execution (its kernel is killed).
        on_cell: Called as ``on_cell(k, n)`` when code cell k of n of the re-execution starts
            (see `run_notebook`).

    Returns:
        The verdict with one check per metric; written to the original run's tags
        (``mlops.reproduce.verdict``, ``.run_id``, ``.rtol``, ``.differs``).

    Raises:
        RunNotFoundError: no such run.
        RunStateError: nothing recorded allows a re-execution (the message says why).
    """
    from mlops_jupyter.execution.job import job_from_source

    store = store if isinstance(store, RunStore) else open_store(store)
    original = store.get_run(run_id)
    if original.tags.get("mlops.kind") == "sweep":
        raise RunStateError(
            f"run {original.run_id[:8]} is a sweep; reproduce one of its points "
            "(its child runs: `mlops-jupyter runs ls`) instead"
        )
    plan = plan_reproduction(store, original)  # raises, saying why, before anything runs
    job = job_from_source(plan.path, plan.source, plan.params, plan.kernel)
    recorded_cwd = original.tags.get("mlops.cwd")
    folder = check_cwd(
        cwd or (recorded_cwd if recorded_cwd and os.path.isdir(recorded_cwd) else None)
    )
    changed = changed_inputs_of(store, original, folder)  # before the re-execution reads them
    new_id, reason = _execute(job, store, original, folder, timeout, top_level, cancel, on_cell)
    new = store.get_run(compared_run(store, plan, original, new_id))
    checks = compare_metrics(original.metrics, new.metrics, rtol, atol)
    verdict, reason = _verdict(new.status, checks, reason)
    if changed:  # the data is not the run's any more: say so first
        verdict, reason = NOT_REPRODUCED, "; ".join([*changed, *([reason] if reason else [])])
    result = ReproduceResult(original.run_id, new_id, verdict, checks, reason)
    _record(store, result, rtol)
    return result


def changed_inputs_of(store: RunStore, original: Any, folder: str) -> list[str]:
    """The run's recorded inputs (and its child runs') that differ on disk now, as sentences
    (``input data/train.csv changed since the run``); paths are relative to the project of
    `folder`."""
    from pathlib import Path

    from mlops_jupyter.env import project_root
    from mlops_jupyter.tracking.inputs import changed_inputs, inputs_with_children

    return changed_inputs(inputs_with_children(store, original), Path(project_root(folder)))


def _execute(
    job: Any,
    store: RunStore,
    original: Any,
    folder: str,
    timeout: float | None,
    top_level: bool,
    cancel: CancelToken | None,
    on_cell: Callable[[int, int], None] | None = None,
) -> tuple[str, str]:
    """Run the job as a new top-level run; a failed re-execution is a verdict, not an error."""
    from mlops_jupyter.execution.executor import run_job

    tags = {"mlops.reproduces": original.run_id}
    try:
        record = run_job(
            job,
            timeout=timeout,
            cwd=folder,
            store=store,
            experiment=original.experiment,
            name=f"reproduce-{original.name}",
            progress_bar=False,
            tags=tags,
            top_level=top_level,
            cancel=cancel,
            on_cell=on_cell,
        )
        return record.run_id, ""
    except NotebookExecutionError as err:
        if err.run_id is None:  # never raised so by run_job today: no new run to judge
            raise
        return err.run_id, f"re-execution failed: {err}"


def _verdict(status: str, checks: list[MetricCheck], reason: str) -> tuple[str, str]:
    if status != "finished":
        return NOT_REPRODUCED, reason or f"the re-execution {status}"
    if not checks:
        return NOT_REPRODUCED, "the run has no metrics to compare"
    bad = [c.key for c in checks if c.verdict in ("differs", "missing", "new")]
    if bad:
        return NOT_REPRODUCED, f"{len(bad)} metric(s) differ: {', '.join(bad[:5])}"
    return REPRODUCED, ""


def _record(store: RunStore, result: ReproduceResult, rtol: float) -> None:
    differs = [c.key for c in result.checks if c.verdict not in ("same", "within tolerance")]
    store.set_tags(
        result.run_id,
        {
            "mlops.reproduce.verdict": result.verdict,
            "mlops.reproduce.run_id": result.new_run_id,
            "mlops.reproduce.rtol": rtol,
            "mlops.reproduce.differs": ",".join(differs),
        },
    )
