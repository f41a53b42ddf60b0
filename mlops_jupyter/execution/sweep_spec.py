"""What a sweep run records so that ``resume`` can redo its points (``sweep.json`` and the source
notebook), and reading it back."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from mlops_jupyter import tracking
from mlops_jupyter.errors import InvalidParameterError, RunStateError
from mlops_jupyter.execution.executor import check_cwd
from mlops_jupyter.execution.job import NotebookJob, job_from_source
from mlops_jupyter.execution.points import check_sweep_size
from mlops_jupyter.execution.recording import IPYNB_MEDIA, SOURCE_ARTIFACT, begin_run
from mlops_jupyter.execution.sweep_point import POINT_TAG
from mlops_jupyter.store import RunStore

SWEEP_ARTIFACT = "sweep.json"
#: The artifact an adaptive sweep (``--optuna``) records its search in (optuna_study.py).
SEARCH_ARTIFACT = "optuna.json"


@dataclass
class SweepSpec:
    """What the sweep run records (``sweep.json``) so that ``resume`` can redo its points."""

    notebook: str
    points: list[dict[str, Any]]
    base_parameters: dict[str, Any]
    kernel_name: str
    cwd: str
    output_dir: str | None = None


def new_spec(
    job: NotebookJob,
    points: Sequence[Mapping[str, Any]],
    cwd: str | os.PathLike[str] | None,
    output_dir: str | os.PathLike[str] | None,
) -> SweepSpec:
    """The spec of a new sweep (every point kept as given, the kernels' checked folder).

    Raises:
        InvalidParameterError: no points.
    """
    if not points:
        raise InvalidParameterError("a sweep needs points: give --grid, --random or --points")
    return SweepSpec(
        job.path,
        [dict(p) for p in points],
        dict(job.parameters),
        job.kernel_name,
        check_cwd(cwd),
        os.path.abspath(output_dir) if output_dir else None,
    )


def jobs_per_point(job: NotebookJob, spec: SweepSpec) -> list[NotebookJob]:
    """One validated job per point of `spec` (a point the schema refuses raises here, before
    anything is recorded)."""
    return [job.with_parameters(p, origin=f"sweep point {i}") for i, p in enumerate(spec.points)]


def start_sweep_run(
    store: RunStore,
    job: NotebookJob,
    spec: SweepSpec,
    experiment: str | None,
    name: str | None,
    jobs: int,
    executor: str,
    tags: Mapping[str, Any] | None = None,
    top_level: bool = False,
) -> tracking.Run:
    """Create the sweep's parent run, recording the spec and the source notebook that
    ``resume`` reads back."""
    run = begin_run(
        store,
        top_level=top_level,
        name=name or f"sweep-{Path(job.path).stem}",
        experiment=experiment,
        source_notebook=job.path,
        params={"sweep.points": len(spec.points), "sweep.jobs": jobs, "sweep.executor": executor},
        tags={"mlops.kind": "sweep", "mlops.cwd": spec.cwd, **(tags or {})},
    )
    run.log_artifact(
        json.dumps(asdict(spec), default=str).encode(), SWEEP_ARTIFACT, "application/json"
    )
    run.log_artifact(job.source.encode("utf-8"), SOURCE_ARTIFACT, IPYNB_MEDIA)
    return run


def load_resume(
    store: RunStore, sweep_id: str, jobs: int, local: bool
) -> tuple[SweepSpec, NotebookJob, tracking.Run, dict[int, str | None], int]:
    """Read back a sweep run for ``resume``: its spec, its job, the run resumed, the points
    left to do (each with its existing child run id, if any) and how many are finished.

    Raises:
        RunNotFoundError: no run `sweep_id`.
        RunStateError: the run is not a sweep's parent run.
        LimitExceededError: the sweep's size or `jobs` is over the caps.
    """
    record = store.get_run(sweep_id)
    spec_artifact, source = record.artifact(SWEEP_ARTIFACT), record.artifact(SOURCE_ARTIFACT)
    if spec_artifact is None or source is None:
        raise RunStateError(
            f"run {record.run_id[:8]} is not a sweep (no {SWEEP_ARTIFACT}); "
            "pass the id of the sweep's parent run to --resume"
        )
    spec = SweepSpec(**json.loads(store.read_artifact(spec_artifact.sha256)))
    job = job_from_source(
        spec.notebook,
        store.read_artifact(source.sha256).decode("utf-8"),
        spec.base_parameters,
        spec.kernel_name,
    )
    children = children_by_point(store, record.run_id)
    todo = {
        i: children[i].run_id if i in children else None
        for i in range(len(spec.points))
        if i not in children or children[i].status != "finished"
    }
    check_sweep_size(len(spec.points), jobs, local)  # the sweep's size, not what is left
    run = tracking.start_run(run_id=record.run_id, store=store)
    return spec, job, run, todo, len(spec.points) - len(todo)


def children_by_point(store: RunStore, sweep_id: str) -> dict[int, Any]:
    """The child runs of a sweep by point index (the last one started wins)."""
    found: dict[int, Any] = {}
    for child in store.search_runs(parent_run_id=sweep_id, order_by="start_time"):
        if POINT_TAG in child.tags:
            found[int(child.tags[POINT_TAG])] = child
    return found


def is_adaptive(store: RunStore, sweep_id: str) -> bool:
    """Whether a sweep run is an adaptive one (``--optuna``): its resume goes through Optuna."""
    return store.get_run(sweep_id).artifact(SEARCH_ARTIFACT) is not None
