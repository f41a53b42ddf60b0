"""Sweeps: one parent run, one child run per point, executed by a back-end.

The points run on the local back-end (sweep_local: warm kernels on this machine) or on Dask
(sweep_dask); both execute each point with sweep_point.execute_point.

Every point is validated before the first kernel boots. Each point is recorded exactly once:
retries (``retries=``) and ``resume=`` re-execute into the point's existing child run, in a
fresh kernel, so the child's status is its last attempt and ``mlops.attempts`` counts them.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_jupyter import tracking
from mlops_jupyter.errors import InvalidParameterError, RunStateError
from mlops_jupyter.execution.executor import begin_run, check_cwd
from mlops_jupyter.execution.job import NotebookJob, job_from_source, prepare_job
from mlops_jupyter.execution.kernels import check_kernel
from mlops_jupyter.execution.points import check_sweep_size
from mlops_jupyter.execution.sweep_local import run_points_locally
from mlops_jupyter.execution.sweep_point import POINT_TAG, PointResult
from mlops_jupyter.formatting import fmt_duration, table
from mlops_jupyter.store import RunStore, open_store

if TYPE_CHECKING:
    from mlops_jupyter.execution.cancel import CancelToken

SWEEP_ARTIFACT = "sweep.json"


@dataclass
class SweepResult:
    """A finished sweep: its parent run and one result per point (in point order)."""

    sweep_run_id: str
    points: list[PointResult]
    skipped: int = 0  # points already finished before a resume

    @property
    def failed(self) -> list[PointResult]:
        """Points whose last attempt did not finish."""
        return [p for p in self.points if p.status != "finished"]

    def summary(self) -> str:
        """The end-of-sweep table: one row per point, swept values and metrics."""
        names = list(dict.fromkeys(k for p in self.points for k in p.values))
        metrics = list(dict.fromkeys(k for p in self.points for k in p.metrics))[:6]
        rows = [
            [
                p.index,
                p.status,
                p.attempts,
                *[p.values.get(n) for n in names],
                *[p.metrics.get(m) for m in metrics],
                fmt_duration(p.seconds),
                (p.run_id or "-")[:8],
                (p.error or "")[:60],
            ]
            for p in self.points
        ]
        done = len(self.points) - len(self.failed)
        head = f"sweep {self.sweep_run_id[:8]}: {done}/{len(self.points)} points finished" + (
            f" ({self.skipped} already done before resume)" if self.skipped else ""
        )
        return (
            head
            + "\n"
            + table(
                ["#", "status", "tries", *names, *metrics, "time", "run", "error"],
                rows,
                max_width=60,
            )
        )


@dataclass
class SweepSpec:
    """What the sweep run records (``sweep.json``) so that ``resume`` can redo its points."""

    notebook: str
    points: list[dict[str, Any]]
    base_parameters: dict[str, Any]
    kernel_name: str
    cwd: str
    output_dir: str | None = None


def sweep_notebook(
    path: str | os.PathLike[str] | None,
    points: Sequence[Mapping[str, Any]] = (),
    *,
    parameters: Mapping[str, Any] | None = None,
    jobs: int = 1,
    timeout: float | None = None,
    retries: int = 0,
    cwd: str | os.PathLike[str] | None = None,
    store: RunStore | str | None = None,
    experiment: str | None = None,
    name: str | None = None,
    resume: str | None = None,
    executor: str = "local",
    scheduler: str | None = None,
    kernel_name: str | None = None,
    on_point: Callable[[PointResult], None] | None = None,
    tags: Mapping[str, Any] | None = None,
    output_dir: str | os.PathLike[str] | None = None,
    top_level: bool = False,
    cancel: CancelToken | None = None,
) -> SweepResult:
    """Execute a notebook once per point, `jobs` at a time, as children of one sweep run.

    Args:
        path: The notebook (may be None with `resume`: the recorded source is used).
        points: Parameter values per point (raw text or typed; validated first).
        parameters: Values common to every point.
        jobs: Points executed at once (kernels warmed ahead: as many again); at most the CPU
            count and the number of points.
        timeout: Seconds each point may take before its kernel is killed.
        retries: Extra attempts for a point that fails (each in a fresh kernel).
        cwd: Working directory of the kernels.
        store: RunStore or URL (default: the project store).
        experiment: Experiment of the sweep and its points.
        name: Name of the sweep run.
        resume: Id of an earlier sweep run: re-execute only its failed or missing points.
        executor: "local" (warm kernel pool) or "dask".
        scheduler: Dask scheduler address (``tcp://host:port``); None starts a LocalCluster.
        kernel_name: Kernelspec (default: the notebook's).
        on_point: Called with each point's result as it ends (progress display).
        tags: Extra tags for the sweep run (e.g. the seed of random points).
        output_dir: Also write each executed notebook there as ``<stem>-<index>.ipynb``.
        top_level: The sweep run has no parent even inside another active run (server actions).
        cancel: A CancelToken; once cancelled no point starts, running kernels are killed,
            their runs and the sweep run end ``killed`` (resume it later).

    Returns:
        The SweepResult (call ``summary()`` for the table).

    Raises:
        InvalidParameterError: a point refused by the schema (no kernel started).
        LimitExceededError: more than MAX_SWEEP_POINTS points, or jobs over the CPU count or
            the number of points.
        RunNotFoundError: `resume` names no run.
    """
    store = store if isinstance(store, RunStore) else open_store(store)
    if executor not in ("local", "dask"):
        raise InvalidParameterError(f"unknown executor {executor!r}; expected 'local' or 'dask'")
    if timeout is not None and not timeout > 0:
        raise InvalidParameterError(f"timeout={timeout!r}: expected seconds > 0 (or None)")
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise InvalidParameterError(f"retries={retries!r}: expected a whole number >= 0")
    if resume:
        spec, job, sweep_run, todo, skipped = _load_resume(store, resume, jobs, executor == "local")
        point_jobs = _point_jobs(job, spec)
    else:
        check_sweep_size(len(points), jobs, executor == "local")  # before anything is recorded
        job = prepare_job(path or "", parameters, kernel_name=kernel_name)
        spec = _new_spec(job, points, cwd, output_dir)
        todo, skipped = dict.fromkeys(range(len(points))), 0
        point_jobs = _point_jobs(job, spec)  # validates every point before anything is recorded
        if executor == "local":
            check_kernel(job.kernel_name)
        sweep_run = _start_sweep_run(
            store, job, spec, experiment, name, jobs, executor, tags, top_level
        )
    try:
        results = _dispatch(
            store,
            sweep_run,
            spec,
            {i: point_jobs[i] for i in todo},
            todo,
            jobs=jobs,
            timeout=timeout,
            retries=retries,
            executor=executor,
            scheduler=scheduler,
            on_point=on_point,
            cancel=cancel,
        )
    except BaseException as err:  # Ctrl-C or a store failure: never leave the sweep running
        sweep_run.end(
            "killed" if isinstance(err, KeyboardInterrupt) else "failed",
            error=f"{type(err).__name__}: {err}; finish it with `mlops-jupyter sweep "
            f"--resume {sweep_run.run_id[:8]}`",
        )
        raise
    all_points = _all_results(store, sweep_run.run_id, spec, results)
    _end_sweep_run(sweep_run, all_points, cancel)
    return SweepResult(sweep_run.run_id, all_points, skipped)


def _new_spec(
    job: NotebookJob,
    points: Sequence[Mapping[str, Any]],
    cwd: str | os.PathLike[str] | None,
    output_dir: str | os.PathLike[str] | None,
) -> SweepSpec:
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


def _point_jobs(job: NotebookJob, spec: SweepSpec) -> list[NotebookJob]:
    return [job.with_parameters(p, origin=f"sweep point {i}") for i, p in enumerate(spec.points)]


def _start_sweep_run(
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
    run.log_artifact(job.source.encode("utf-8"), "source.ipynb", "application/x-ipynb+json")
    return run


def _load_resume(
    store: RunStore, sweep_id: str, jobs: int, local: bool
) -> tuple[SweepSpec, NotebookJob, tracking.Run, dict[int, str | None], int]:
    record = store.get_run(sweep_id)
    spec_artifact, source = record.artifact(SWEEP_ARTIFACT), record.artifact("source.ipynb")
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
    children = _children_by_point(store, record.run_id)
    todo = {
        i: children[i].run_id if i in children else None
        for i in range(len(spec.points))
        if i not in children or children[i].status != "finished"
    }
    check_sweep_size(len(spec.points), jobs, local)  # the sweep's size, not what is left
    run = tracking.start_run(run_id=record.run_id, store=store)
    return spec, job, run, todo, len(spec.points) - len(todo)


def _children_by_point(store: RunStore, sweep_id: str) -> dict[int, Any]:
    found: dict[int, Any] = {}
    for child in store.search_runs(parent_run_id=sweep_id, order_by="start_time"):
        if POINT_TAG in child.tags:
            found[int(child.tags[POINT_TAG])] = child
    return found


def _dispatch(
    store: RunStore,
    sweep_run: tracking.Run,
    spec: SweepSpec,
    jobs_by_point: dict[int, NotebookJob],
    existing: Mapping[int, str | None],
    *,
    jobs: int,
    timeout: float | None,
    retries: int,
    executor: str,
    scheduler: str | None,
    on_point: Callable[[PointResult], None] | None,
    cancel: CancelToken | None = None,
) -> dict[int, PointResult]:
    if not jobs_by_point:
        return {}
    if executor == "dask":
        from mlops_jupyter.execution.sweep_dask import run_points_on_dask

        return run_points_on_dask(
            store,
            sweep_run.run_id,
            spec.cwd,
            jobs_by_point,
            existing,
            jobs=jobs,
            timeout=timeout,
            retries=retries,
            scheduler=scheduler,
            on_point=on_point,
            output_dir=spec.output_dir,
            cancel=cancel,
        )
    return run_points_locally(
        store,
        sweep_run.run_id,
        spec.cwd,
        jobs_by_point,
        existing,
        jobs=jobs,
        timeout=timeout,
        retries=retries,
        on_point=on_point,
        output_dir=spec.output_dir,
        cancel=cancel,
    )


def _all_results(
    store: RunStore, sweep_id: str, spec: SweepSpec, fresh: dict[int, PointResult]
) -> list[PointResult]:
    """Results for every point of the sweep: fresh ones, else what the store has (resume)."""
    children = _children_by_point(store, sweep_id)
    results = []
    for index, values in enumerate(spec.points):
        if index in fresh:  # show the swept values only (typed), not the common parameters
            result = fresh[index]
            result.values = {k: result.values.get(k, v) for k, v in values.items()}
            results.append(result)
        elif index in children:
            child = children[index]
            typed = {k: child.params.get(k, v) for k, v in values.items()}
            results.append(
                PointResult(
                    index,
                    typed,
                    child.run_id,
                    child.status,
                    int(child.tags.get("mlops.attempts", 1)),
                    child.error,
                    child.duration or 0.0,
                    dict(child.metrics),
                )
            )
        else:
            results.append(PointResult(index, dict(values)))
    return results


def _end_sweep_run(
    run: tracking.Run, points: list[PointResult], cancel: CancelToken | None = None
) -> None:
    failed = [p for p in points if p.status != "finished"]
    run.set_tags(
        {"mlops.sweep.finished": len(points) - len(failed), "mlops.sweep.failed": len(failed)}
    )
    if cancel is not None and cancel.cancelled:
        run.end(
            "killed",
            error=f"{cancel.reason or 'cancelled'} after "
            f"{len(points) - len(failed)} of {len(points)} points; finish it with "
            f"`mlops-jupyter sweep --resume {run.run_id[:8]}`",
        )
    elif failed:
        run.end(
            "failed",
            error=f"{len(failed)} of {len(points)} points failed (points "
            f"{', '.join(str(p.index) for p in failed[:20])}); re-run them with "
            f"`mlops-jupyter sweep --resume {run.run_id[:8]}`",
        )
    else:
        run.end("finished")


def progress_printer(total: int) -> Callable[[PointResult], None]:
    """A callback printing one line per finished point to stderr (a tqdm bar on a terminal)."""
    if sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=total, unit="point", file=sys.stderr)

        def update(result: PointResult) -> None:
            bar.update(1)
            if result.status != "finished":
                bar.write(f"point {result.index} {result.status}: {result.error}")
            if bar.n >= total:
                bar.close()

        return update

    def line(result: PointResult) -> None:
        print(f"point {result.index} {result.status} ({result.seconds:.1f}s)", file=sys.stderr)

    return line
