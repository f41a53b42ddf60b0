"""Sweeps: one parent run, one child run per point, executed by a back-end.

The points run on the local back-end (sweep_local: warm kernels on this machine) or on Dask
(sweep_dask); both execute each point with sweep_point.execute_point. The sweep run records
its spec for ``resume`` (sweep_spec); sweep_report shows the result.

Every point is validated before the first kernel boots. Each point is recorded exactly once:
retries (``retries=``) and ``resume=`` re-execute into the point's existing child run, in a
fresh kernel, so the child's status is its last attempt and ``mlops.attempts`` counts them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mlops_jupyter import tracking
from mlops_jupyter.errors import InvalidParameterError
from mlops_jupyter.execution.attempt import preload_in_background
from mlops_jupyter.execution.executor import kernel_environment
from mlops_jupyter.execution.job import NotebookJob, prepare_job
from mlops_jupyter.execution.kernel_specs import check_kernel
from mlops_jupyter.execution.kernels import prestart_template
from mlops_jupyter.execution.points import check_sweep_size
from mlops_jupyter.execution.preimports import leading_imports
from mlops_jupyter.execution.sweep_local import run_points_locally
from mlops_jupyter.execution.sweep_point import PointResult
from mlops_jupyter.execution.sweep_report import SweepResult
from mlops_jupyter.execution.sweep_spec import (
    SweepSpec,
    children_by_point,
    jobs_per_point,
    load_resume,
    new_spec,
    start_sweep_run,
)
from mlops_jupyter.store import RunStore, open_store

if TYPE_CHECKING:
    from mlops_jupyter.execution.cancel import CancelToken


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
    preimport: bool = True,
    on_log: Callable[[str], None] | None = None,
    keep_warm: bool = False,
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
        preimport: Fork each point's kernel from a template process that ran the notebook's
            leading imports once (local executor); False: every kernel starts fresh.
        on_log: Called with lines for the sweep's log (how kernels start, and why); the line
            is also recorded as the sweep run's ``mlops.sweep.kernels`` tag.
        keep_warm: Keep the kernel template warm after the sweep, so that `run_notebook` and
            `reproduce_run` of the same notebook in this process fork from it.

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
        spec, job, sweep_run, todo, skipped = load_resume(store, resume, jobs, executor == "local")
        point_jobs = jobs_per_point(job, spec)
    else:
        check_sweep_size(len(points), jobs, executor == "local")  # before anything is recorded
        job = prepare_job(path or "", parameters, kernel_name=kernel_name)
        spec = new_spec(job, points, cwd, output_dir)
        todo, skipped = dict.fromkeys(range(len(points))), 0
        point_jobs = jobs_per_point(job, spec)  # validates every point before anything is recorded
        if executor == "local":
            check_kernel(job.kernel_name)
            if preimport:  # its imports run while the sweep run is recorded
                imports = leading_imports(job.source)
                prestart_template(job.kernel_name, spec.cwd, kernel_environment(store), imports)
        sweep_run = start_sweep_run(
            store, job, spec, experiment, name, jobs, executor, tags, top_level
        )
        if executor == "local":
            preload_in_background()  # papermill's imports, while the template imports
    log = _sweep_log(sweep_run, on_log)
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
            preimport=preimport,
            on_log=log,
            keep_warm=keep_warm,
        )
    except BaseException as err:  # Ctrl-C or a store failure: never leave the sweep running
        interrupted = isinstance(err, KeyboardInterrupt)
        sweep_run.end(
            "killed" if interrupted else "failed",
            error=f"{'interrupted (Ctrl-C)' if interrupted else f'{type(err).__name__}: {err}'}"
            f"; finish it with `mlops-jupyter sweep --resume {sweep_run.run_id[:8]}`",
        )
        if interrupted and on_log is not None:
            on_log(_interrupted_line(store, sweep_run.run_id, spec))
        raise
    all_points = _all_results(store, sweep_run.run_id, spec, results)
    _end_sweep_run(sweep_run, all_points, cancel)
    return SweepResult(sweep_run.run_id, all_points, skipped)


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
    preimport: bool = True,
    on_log: Callable[[str], None] | None = None,
    keep_warm: bool = False,
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
        preimport=preimport,
        on_log=on_log,
        keep_warm=keep_warm,
    )


def _sweep_log(run: tracking.Run, on_log: Callable[[str], None] | None) -> Callable[[str], None]:
    """A log line goes to `on_log` and onto the sweep run (tag ``mlops.sweep.kernels``)."""

    def log(line: str) -> None:
        try:
            run.set_tags({"mlops.sweep.kernels": line})
        except Exception:  # the log never stops a sweep
            pass
        if on_log is not None:
            on_log(line)

    return log


def _interrupted_line(store: RunStore, sweep_id: str, spec: SweepSpec) -> str:
    """What Ctrl-C left: finished points kept, killed ones, and how to finish the sweep."""
    children = children_by_point(store, sweep_id).values()
    done = sum(c.status == "finished" for c in children)
    killed = sum(c.status == "killed" for c in children)
    return (
        f"interrupted: {done} finished point(s) kept, {killed} running point(s) killed, "
        f"{len(spec.points) - done - killed} not started; finish with "
        f"`mlops-jupyter sweep --resume {sweep_id[:8]}`"
    )


def _all_results(
    store: RunStore, sweep_id: str, spec: SweepSpec, fresh: dict[int, PointResult]
) -> list[PointResult]:
    """Results for every point of the sweep: fresh ones, else what the store has (resume)."""
    children = children_by_point(store, sweep_id)
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
