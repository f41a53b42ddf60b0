"""Adaptive sweeps (``sweep --optuna N``): Optuna's ask-and-tell over points on the kernel pool
or on Dask, pruning points from the step metrics they log, and ``--resume`` after a crash.

Each trial is a sweep point: asked when a job is free, executed into its child run like any
point (sweep_point), told when it ends. With ``prune="median"`` the controller reads each
running point's step metrics from the store, reports them to the trial, and stops a point the
pruner cuts: its kernel gets a KeyboardInterrupt (so its tracked runs write their curves),
and its run ends ``pruned``.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict
from typing import Any

from mlops_jupyter import env
from mlops_jupyter.execution import optuna_records as records
from mlops_jupyter.execution import optuna_study as studies
from mlops_jupyter.execution.attempt import preload_in_background
from mlops_jupyter.execution.cancel import CancelToken
from mlops_jupyter.execution.executor import check_cwd, kernel_environment
from mlops_jupyter.execution.job import NotebookJob, prepare_job
from mlops_jupyter.execution.kernel_specs import check_kernel
from mlops_jupyter.execution.kernels import KernelPool, prestart_template
from mlops_jupyter.execution.points import check_sweep_size
from mlops_jupyter.execution.preimports import leading_imports
from mlops_jupyter.execution.sweep_dask import FAST_FLUSH
from mlops_jupyter.execution.sweep_local import warm_kernels
from mlops_jupyter.execution.sweep_point import PointResult, execute_point
from mlops_jupyter.execution.sweep_report import SweepResult
from mlops_jupyter.execution.sweep_spec import (
    SweepSpec,
    children_by_point,
    start_sweep_run,
)
from mlops_jupyter.store import RunStore, open_store

#: Seconds a pruned kernel has to end its cell after the KeyboardInterrupt, before SIGKILL.
PRUNE_GRACE = 3.0
#: Seconds between the controller's pruning checks; a pruning sweep's kernels flush their
#: metrics every FAST_FLUSH s: a trailing point is stopped within ~0.2 s of its step metric.
_POLL = 0.1
_INNER_EVERY = 1.0


def optuna_sweep(
    path: str | os.PathLike[str] | None,
    trials: int = 0,
    *,
    metric: str = "",
    direction: str = "maximize",
    sampler: str = "tpe",
    ranges: Sequence[str] = (),
    seed: int | None = None,
    prune: str | None = None,
    parameters: Mapping[str, Any] | None = None,
    jobs: int = 1,
    timeout: float | None = None,
    cwd: str | os.PathLike[str] | None = None,
    store: RunStore | str | None = None,
    experiment: str | None = None,
    name: str | None = None,
    resume: str | None = None,
    executor: str = "local",
    scheduler: str | None = None,
    kernel_name: str | None = None,
    output_dir: str | os.PathLike[str] | None = None,
    on_point: Callable[[PointResult], None] | None = None,
    on_log: Callable[[str], None] | None = None,
    cancel: CancelToken | None = None,
) -> SweepResult:
    """Search `ranges` for the best `metric` in `trials` points of a notebook, with Optuna.

    Args:
        path: The notebook (None with `resume`).
        trials: Trials to finish (complete, pruned or failed by the notebook).
        metric: The metric each point reports (its final value is the trial's value).
        direction: "maximize" or "minimize".
        sampler: "tpe", "cmaes" or "random".
        ranges: ``NAME=LO:HI[:log]`` per searched int/float parameter.
        seed: Seed of the sampler (recorded).
        prune: "median" stops points whose step metrics trail the median (local or Dask).
        resume: Id of an adaptive sweep to continue after its controller was killed: trials
            already told are kept, trials cut short are failed and replaced, none runs twice.
        Others: as for `sweep_notebook`.

    Returns:
        The SweepResult: one point per trial; ``best`` holds the best trial's point.

    Raises:
        InvalidParameterError: a bad setting or range (nothing recorded, no kernel started).
    """
    store = store if isinstance(store, RunStore) else open_store(store)
    if resume:
        spec, job, run, search = records.load_adaptive_sweep(store, resume, jobs, executor)
        study = studies.open_study(search, create=False)
        records.recover_trials(store, study, run.run_id, search.metric, on_log)
    else:
        studies.check_search(trials, metric, direction, sampler, prune, executor)
        check_sweep_size(trials, jobs, executor == "local")
        job = prepare_job(path or "", parameters, kernel_name=kernel_name)
        studies.search_space(ranges, job.schema)  # refuse bad ranges before recording
        folder = check_cwd(cwd)
        if executor == "local":
            check_kernel(job.kernel_name)
            prestart_template(
                job.kernel_name,
                folder,
                _kernel_env(store, bool(prune)),
                leading_imports(job.source),
            )
        out = os.path.abspath(output_dir) if output_dir else None
        spec = SweepSpec(job.path, [], dict(job.parameters), job.kernel_name, folder, out)
        tags = {"mlops.sweep.search": "optuna", "mlops.sweep.seed": seed}
        run = start_sweep_run(store, job, spec, experiment, name, jobs, executor, tags)
        if executor == "local":
            preload_in_background()  # papermill's imports, while the template imports
        storage = studies.storage_url(store, folder)
        search = studies.SearchSpec(
            trials, metric, direction, sampler, list(ranges), seed, prune, storage, run.run_id
        )
        payload = json.dumps(asdict(search)).encode()
        run.log_artifact(payload, studies.SEARCH_ARTIFACT, "application/json")
        study = studies.open_study(search, create=True)
    space = studies.search_space(search.ranges, job.schema)
    loop = _Search(store, run.run_id, spec, job, space, search, study, jobs, timeout, on_log)
    try:
        loop.run(executor, scheduler, on_point, cancel)
    except BaseException as err:
        interrupted = isinstance(err, KeyboardInterrupt)
        resume_hint = f"continue it with `mlops-jupyter sweep --resume {run.run_id[:8]}`"
        run.end(
            "killed" if interrupted else "failed",
            error=f"{'interrupted (Ctrl-C)' if interrupted else f'{type(err).__name__}: {err}'}"
            f"; {resume_hint}",
        )
        if interrupted and on_log is not None:
            on_log(f"interrupted: {studies.counted(study)} trial(s) told are kept; {resume_hint}")
        raise
    return records.finish_sweep(store, run, study, search, on_log, cancel)


class _Search:
    """The ask-and-tell loop: `jobs` trials in flight, pruning checks between completions."""

    def __init__(
        self,
        store: RunStore,
        sweep_id: str,
        spec: SweepSpec,
        job: NotebookJob,
        space: dict[str, Any],
        search: studies.SearchSpec,
        study: Any,
        jobs: int,
        timeout: float | None,
        on_log: Callable[[str], None] | None,
    ) -> None:
        self.store, self.sweep_id, self.spec, self.job = store, sweep_id, spec, job
        self.space, self.search, self.study, self.jobs = space, search, study, jobs
        self.timeout, self.on_log = timeout, on_log
        self.in_flight: dict[Future[PointResult], tuple[Any, CancelToken]] = {}
        self.reported: dict[int, int] = {}  # trial -> last step reported
        self.child_of: dict[int, str] = {}  # trial -> its point's run
        self.inner_runs: dict[str, tuple[list[str], float]] = {}  # run -> runs inside, when

    def log(self, line: str) -> None:
        if line and self.on_log is not None:
            self.on_log(line)

    def run(
        self,
        executor: str,
        scheduler: str | None,
        on_point: Callable[[PointResult], None] | None,
        cancel: CancelToken | None,
    ) -> None:
        submit, close = self._backend(executor, scheduler)
        try:
            self._loop(submit, on_point, cancel)
        except KeyboardInterrupt:  # stop the running trials now; they are failed, not lost
            for _trial, token in self.in_flight.values():
                token.cancel("interrupted (Ctrl-C)")
            wait(list(self.in_flight), timeout=30)
            studies.mark_interrupted(self.study, [t.number for t, _ in self.in_flight.values()])
            raise
        finally:
            close()

    def _loop(
        self,
        submit: Callable[[int, NotebookJob, CancelToken], Future[PointResult]],
        on_point: Callable[[PointResult], None] | None,
        cancel: CancelToken | None,
    ) -> None:
        while True:
            stopping = cancel is not None and cancel.cancelled
            left = self.search.trials - studies.counted(self.study) - len(self.in_flight)
            while not stopping and left > 0 and self._busy() < self.jobs:
                trial = self.study.ask(self.space)
                point = self.job.with_parameters(trial.params, origin=f"trial {trial.number}")
                token = CancelToken()
                self.in_flight[submit(trial.number, point, token)] = (trial, token)
                left -= 1
            if not self.in_flight:
                return
            if stopping:
                for _trial, token in self.in_flight.values():
                    token.cancel(cancel.reason if cancel else "cancelled")
            done, _ = wait(list(self.in_flight), timeout=_POLL, return_when=FIRST_COMPLETED)
            for future in done:
                trial, _token = self.in_flight.pop(future)
                result = future.result()
                self.log(studies.tell(self.study, trial, result, self.search.metric))
                if on_point is not None:
                    on_point(result)
            if self.search.prune:
                self._prune()

    def _busy(self) -> int:
        """Trials holding a job: a pruned one frees its job at once (its kernel stops while
        the next trial starts, so the stop's latency is not the next trial's wait)."""
        return sum(not token.cancelled for _trial, token in self.in_flight.values())

    def _prune(self) -> None:
        """Report new step values of running trials; stop the ones the pruner cuts."""
        running = [(t, k) for t, k in self.in_flight.values() if not k.cancelled]
        if any(t.number not in self.child_of for t, _ in running):  # a point's run is new
            for number, child in children_by_point(self.store, self.sweep_id).items():
                self.child_of.setdefault(number, child.run_id)
        for trial, token in running:
            child_id = self.child_of.get(trial.number)
            if child_id is None:
                continue
            last = self.reported.get(trial.number, -1)
            for step, value in self._steps(child_id):
                if step > last:
                    trial.report(value, step)
                    self.reported[trial.number] = last = step
            if last >= 0 and trial.should_prune():
                token.cancel(
                    f"at step {last} by the median pruner "
                    f"({self.search.metric} trailed the median of earlier trials)",
                    status="pruned",
                    grace=PRUNE_GRACE,
                )

    def _steps(self, run_id: str) -> list[tuple[int, float]]:
        """The step values of the metric on the point's run and the runs tracked inside it
        (those are looked up again at most every _INNER_EVERY seconds: polls stay cheap)."""
        now = time.monotonic()
        inner, asked = self.inner_runs.get(run_id, ([], -_INNER_EVERY))
        if now - asked >= _INNER_EVERY or not inner:
            inner = [r.run_id for r in self.store.search_runs(parent_run_id=run_id)]
            self.inner_runs[run_id] = (inner, now)
        steps: dict[int, float] = {}
        for rid in [run_id, *inner]:
            for point in self.store.metric_history(rid, self.search.metric):
                steps[point.step] = point.value
        return sorted(steps.items())

    def _backend(
        self, executor: str, scheduler: str | None
    ) -> tuple[Callable[[int, NotebookJob, CancelToken], Future[PointResult]], Callable[[], None]]:
        # twice the jobs: a pruned trial's thread may still be ending while its successor runs
        threads = ThreadPoolExecutor(max_workers=2 * self.jobs, thread_name_prefix="mlops-trial")
        if executor == "dask":
            return self._dask_backend(threads, scheduler)
        kernel_env = _kernel_env(self.store, bool(self.search.prune))
        pool = KernelPool(
            self.job.kernel_name,
            warm_kernels(self.jobs),
            cwd=self.spec.cwd,
            env=kernel_env,
            preimports=leading_imports(self.job.source),
            on_note=self.on_log,
        )

        def submit(index: int, job: NotebookJob, token: CancelToken) -> Future[PointResult]:
            pool.expect(1)
            return threads.submit(
                execute_point,
                self.store,
                self.sweep_id,
                index,
                job,
                pool,
                timeout=self.timeout,
                retries=0,
                cwd=self.spec.cwd,
                output_dir=self.spec.output_dir,
                cancel=token,
            )

        def close() -> None:
            threads.shutdown(wait=True, cancel_futures=True)
            pool.close()

        return submit, close

    def _lost_point(self, index: int, job: NotebookJob) -> PointResult:
        """A trial whose Dask task was cancelled under it: its child run's record, ended killed
        if it was still running, so the study goes on without it."""
        child = children_by_point(self.store, self.sweep_id).get(index)
        error = "its Dask task was cancelled by the scheduler"
        if child is None:
            return PointResult(index, dict(job.parameters), None, "killed", 1, error)
        if child.status == "running":
            self.store.end_run(child.run_id, "killed", error=error)
        status = "killed" if child.status == "running" else child.status
        return PointResult(
            index,
            dict(job.parameters),
            child.run_id,
            status,
            1,
            child.error or error,
            0.0,
            dict(child.metrics),
        )

    def _dask_backend(
        self, threads: ThreadPoolExecutor, scheduler: str | None
    ) -> tuple[Callable[[int, NotebookJob, CancelToken], Future[PointResult]], Callable[[], None]]:
        """Trials as Dask tasks: each of our threads waits for one task's result."""
        from distributed import Event, Variable

        from mlops_jupyter.execution.sweep_dask import open_client, run_point_task

        client, cluster = open_client(scheduler, self.jobs)
        lock = threading.Lock()

        def one(index: int, job: NotebookJob, token: CancelToken) -> PointResult:
            stop = f"mlops-stop-{self.sweep_id}-{index}"
            with lock:
                future = client.submit(
                    run_point_task,
                    self.store.url,
                    self.store.blobs.root,
                    self.sweep_id,
                    index,
                    job,
                    None,
                    self.timeout,
                    0,
                    self.spec.cwd,
                    self.spec.output_dir,
                    stop,
                    key=f"mlops-trial-{self.sweep_id[:8]}-{index}",
                    pure=False,
                )
            try:
                return PointResult(**_dask_result(client, future, token, stop))
            except BaseException:
                # distributed's result() of a future the scheduler cancelled raises a bare
                # UnboundLocalError or CancelledError: the point ends as its run says, killed
                if future.status != "cancelled":
                    raise
                return self._lost_point(index, job)
            finally:
                with contextlib.suppress(Exception):
                    Variable(stop, client=client).delete()
                    Event(stop, client=client).clear()

        def submit(index: int, job: NotebookJob, token: CancelToken) -> Future[PointResult]:
            return threads.submit(one, index, job, token)

        def close() -> None:
            threads.shutdown(wait=True, cancel_futures=True)
            client.close()
            if cluster is not None:
                cluster.close()

        return submit, close


def _kernel_env(store: RunStore, prune: bool) -> dict[str, str]:
    """The kernels' environment: the store, and with pruning a metric flush every FAST_FLUSH s
    (step metrics reach the store, and the pruner, at once)."""
    kernel_env = kernel_environment(store)
    if prune:
        kernel_env[env.FLUSH_INTERVAL] = str(FAST_FLUSH)
    return kernel_env


def _dask_result(client: Any, future: Any, token: CancelToken, stop: str) -> dict[str, Any]:
    """Wait for a trial's Dask task; when `token` is cancelled meanwhile (pruned, Ctrl-C), tell
    the worker through the Event and Variable `stop` (sweep_dask.run_point_task watches)."""
    from distributed import Event, Variable

    told = False
    while True:
        if token.cancelled and not told:
            order = {"reason": token.reason, "status": token.status, "grace": PRUNE_GRACE}
            Variable(stop, client=client).set(order)
            Event(stop, client=client).set()
            told = True
        try:
            return dict(future.result(timeout=_POLL))
        except TimeoutError:
            continue
