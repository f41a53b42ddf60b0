"""What an adaptive sweep keeps in its runs: the search it resumes, the trials a killed
controller left running, and the sweep run's end with the study's best trial.

The ask-and-tell loop (optuna_sweep.py) calls these at its start and end; they touch the store
and the study, never a kernel.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from mlops_jupyter import tracking
from mlops_jupyter.execution import optuna_study as studies
from mlops_jupyter.execution.cancel import CancelToken
from mlops_jupyter.execution.job import NotebookJob
from mlops_jupyter.execution.points import check_sweep_size
from mlops_jupyter.execution.sweep_point import PointResult
from mlops_jupyter.execution.sweep_report import SweepResult
from mlops_jupyter.execution.sweep_spec import SweepSpec, children_by_point, load_resume
from mlops_jupyter.store import RunStore


def load_adaptive_sweep(
    store: RunStore, sweep_id: str, jobs: int, executor: str
) -> tuple[SweepSpec, NotebookJob, tracking.Run, studies.SearchSpec]:
    record = store.get_run(sweep_id)
    artifact = record.artifact(studies.SEARCH_ARTIFACT)
    if artifact is None:
        from mlops_jupyter.errors import RunStateError

        raise RunStateError(
            f"run {record.run_id[:8]} is not an adaptive sweep (no {studies.SEARCH_ARTIFACT}); "
            "resume it without --optuna"
        )
    search = studies.SearchSpec(**json.loads(store.read_artifact(artifact.sha256)))
    check_sweep_size(search.trials, jobs, executor == "local")
    spec, job, run, _todo, _done = load_resume(store, record.run_id, 1, executor == "local")
    return spec, job, run, search


def recover_trials(
    store: RunStore, study: Any, sweep_id: str, metric: str, on_log: Callable[[str], None] | None
) -> None:
    """Trials left running by a killed controller: told from their run when it ended, else
    failed for good (their run ends killed) and replaced by new trials; none runs again."""
    import optuna

    children = children_by_point(store, sweep_id)
    cut = []
    for trial in study.get_trials(states=(optuna.trial.TrialState.RUNNING,)):
        child = children.get(trial.number)
        if child is not None and child.status != "running":
            result = PointResult(
                trial.number, {}, child.run_id, child.status, 1, child.error, 0.0, child.metrics
            )
            studies.tell(study, trial, result, metric)
            continue
        if child is not None:
            store.end_run(
                child.run_id, "killed", error="the sweep's controller was killed during this trial"
            )
        cut.append(trial.number)
    studies.mark_interrupted(study, cut)
    if cut and on_log is not None:
        on_log(
            f"resume: trial(s) {', '.join(map(str, cut))} were cut short; new trials replace them"
        )


def finish_sweep(
    store: RunStore,
    run: tracking.Run,
    study: Any,
    search: studies.SearchSpec,
    on_log: Callable[[str], None] | None,
    cancel: CancelToken | None,
) -> SweepResult:
    """End the sweep run with the study's best trial recorded on it; the result per trial."""
    import optuna

    children = children_by_point(store, run.run_id)
    trials = study.get_trials(deepcopy=False)
    points = []
    for trial in trials:
        child = children.get(trial.number)
        points.append(
            PointResult(
                trial.number,
                dict(trial.params),
                child.run_id if child else None,
                child.status if child else "missing",
                1 if child else 0,
                child.error if child else None,
                (child.duration or 0.0) if child else 0.0,
                dict(child.metrics) if child else {},
            )
        )
    complete = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE]
    states = [p.status for p in points]
    tags: dict[str, Any] = {
        "mlops.sweep.finished": states.count("finished"),
        "mlops.sweep.pruned": states.count("pruned"),
        "mlops.sweep.failed": len(states) - states.count("finished") - states.count("pruned"),
    }
    best = study.best_trial if complete else None
    if best is not None:
        best_run = children.get(best.number)
        tags.update({"mlops.optuna.best_trial": best.number, "mlops.optuna.best_value": best.value})
        if best_run is not None:
            tags["mlops.optuna.best_run"] = best_run.run_id
        run.log_metrics({f"best_{search.metric}": float(best.value)}, step=0)
        if on_log is not None:
            on_log(
                f"best {search.metric} = {best.value:.6g} at trial {best.number} "
                f"({', '.join(f'{k}={v:.6g}' for k, v in best.params.items())})"
            )
    run.set_tags(tags)
    if cancel is not None and cancel.cancelled:
        run.end("killed", error=f"{cancel.reason}; continue with --resume {run.run_id[:8]}")
    elif best is None:
        run.end("failed", error=f"no trial reported {search.metric!r}")
    else:
        run.end("finished")
    result = SweepResult(run.run_id, points)
    result.best = next((p for p in points if best is not None and p.index == best.number), None)
    return result
