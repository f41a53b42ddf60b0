"""Sweep points on Dask distributed workers, recording into the same store.

Each task carries the validated job (the notebook's text, not its path), the store URL and the
blob root, so a worker on another machine needs only mlops-jupyter, a kernel and network access
to the store (PostgreSQL, and a shared blob root such as s3://, when workers are elsewhere).
Each worker process keeps a small warm pool per (kernel, cwd, store): one spare kernel booted
ahead of its next task; every kernel still runs one point only.
"""

from __future__ import annotations

import atexit
import contextvars
import os
import threading
import warnings
from collections.abc import Callable, Mapping
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from mlops_jupyter.errors import MlopsJupyterError
from mlops_jupyter.execution.job import NotebookJob
from mlops_jupyter.execution.kernels import KernelPool
from mlops_jupyter.execution.sweep_point import PointResult, execute_point
from mlops_jupyter.store import RunStore

if TYPE_CHECKING:
    from mlops_jupyter.execution.cancel import CancelToken

_worker_lock = threading.Lock()
_worker_stores: dict[tuple[str, str], RunStore] = {}


def open_client(scheduler: str | None, jobs: int) -> tuple[Any, Any]:
    """A Dask client on `scheduler`, else on a LocalCluster of `jobs` workers (and the cluster)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as err:
        raise MlopsJupyterError(
            "--executor dask needs dask.distributed: pip install 'mlops-jupyter[dask]'"
        ) from err
    if scheduler:
        return Client(scheduler, timeout="30s"), None
    cluster = LocalCluster(
        n_workers=max(1, jobs), threads_per_worker=1, processes=False, dashboard_address=None
    )
    return Client(cluster), cluster


def run_points_on_dask(
    store: RunStore,
    sweep_id: str,
    cwd: str,
    jobs_by_point: dict[int, NotebookJob],
    existing: Mapping[int, str | None],
    *,
    jobs: int,
    timeout: float | None,
    retries: int,
    scheduler: str | None,
    on_point: Callable[[PointResult], None] | None,
    output_dir: str | None = None,
    cancel: CancelToken | None = None,
) -> dict[int, PointResult]:
    """Submit one task per point to Dask and collect the PointResults as they finish.

    Args:
        store: The sweep's store; its URL and blob root travel with each task.
        scheduler: ``tcp://host:port`` of a running scheduler, or None for a LocalCluster
            of `jobs` in-process workers.
        cancel: When set, points not started yet are cancelled (running ones finish).
    """
    from distributed import as_completed

    if scheduler and store.dialect == "sqlite":
        warnings.warn(
            f"the sweep records into the SQLite file {store.location}; Dask workers on "
            "other machines cannot reach it. Point --store / MLOPS_JUPYTER_STORE at "
            "PostgreSQL (and MLOPS_JUPYTER_BLOBS at shared storage) for remote workers",
            stacklevel=3,
        )
    client, cluster = open_client(scheduler, jobs)
    try:
        futures = [
            client.submit(
                run_point_task,
                store.url,
                store.blobs.root,
                sweep_id,
                index,
                job,
                existing.get(index),
                timeout,
                retries,
                cwd,
                output_dir,
                key=f"mlops-point-{sweep_id[:8]}-{index}",
                pure=False,
            )
            for index, job in jobs_by_point.items()
        ]
        results: dict[int, PointResult] = {}
        for future in as_completed(futures):
            if cancel is not None and cancel.cancelled:
                client.cancel([f for f in futures if not f.done()])
                break
            result = PointResult(**future.result())
            results[result.index] = result
            if on_point is not None:
                on_point(result)
        return results
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _worker_store(url: str, blob_root: str) -> RunStore:
    with _worker_lock:
        store = _worker_stores.get((url, blob_root))
        if store is None:
            store = _worker_stores[(url, blob_root)] = RunStore(url, blob_root=blob_root)
        return store


def run_point_task(
    store_url: str,
    blob_root: str,
    sweep_id: str,
    index: int,
    job: NotebookJob,
    run_id: str | None,
    timeout: float | None,
    retries: int,
    cwd: str,
    output_dir: str | None = None,
    stop: str | None = None,
) -> dict[str, Any]:
    """The Dask task: execute one point into its child run; returns the PointResult as a dict.

    Runs in the worker. The kernel's working directory is `cwd` when it exists on the worker,
    else the worker's own; its environment points tracked runs at the same store. With `stop`,
    the name of a Dask Event and Variable, the point is stopped when the controller sets the
    Event (the Variable holds ``{"reason", "status", "grace"}``: a pruned trial), and its
    kernels flush step metrics every 0.1 s so the controller's pruner sees them at once (it
    reads them from the shared store).
    """
    # Dask may run a task in a context copied from the thread that started the worker, and
    # jupyter_core keeps its event loop in a context variable: two points running at once
    # would then share one loop ("This event loop is already running"). A fresh context
    # gives each task a loop of its own, closed when the task ends.
    return contextvars.Context().run(
        _run_point,
        store_url,
        blob_root,
        sweep_id,
        index,
        job,
        run_id,
        timeout,
        retries,
        cwd,
        output_dir,
        stop,
    )


def _run_point(
    store_url: str,
    blob_root: str,
    sweep_id: str,
    index: int,
    job: NotebookJob,
    run_id: str | None,
    timeout: float | None,
    retries: int,
    cwd: str,
    output_dir: str | None,
    stop: str | None = None,
) -> dict[str, Any]:
    from jupyter_core.utils import ensure_event_loop

    from mlops_jupyter.execution.cancel import CancelToken

    token, watching = (CancelToken(), threading.Event()) if stop else (None, None)
    try:
        store = _worker_store(store_url, blob_root)
        folder = cwd if os.path.isdir(cwd) else os.getcwd()
        key, pool = _acquire_worker_pool(
            job.kernel_name, folder, store, job.source, fast_metrics=bool(stop)
        )
        if stop and token is not None and watching is not None:
            _watch_stop(stop, token, watching)
        try:
            result = execute_point(
                store,
                sweep_id,
                index,
                job,
                pool,
                run_id,
                timeout=timeout,
                retries=retries,
                cwd=folder,
                output_dir=output_dir,
                cancel=token,
            )
        finally:
            _release_worker_pool(key)
        return asdict(result)
    finally:
        if watching is not None:
            watching.set()
        loop = ensure_event_loop()  # the loop this context made (or a new one): close it
        if not loop.is_running():
            loop.close()


def _watch_stop(name: str, token: CancelToken, done: threading.Event) -> None:
    """Watch the Dask Event `name` from a thread of this task: when the controller sets it,
    cancel `token` as the Variable of the same name says (the point's kernel is interrupted,
    then killed after the grace). An Event, because waiting on it times out quietly."""
    from distributed import Event, Variable, get_client

    client = get_client()  # the worker's client, asked from the task thread
    event, variable = Event(name, client=client), Variable(name, client=client)

    def watch() -> None:
        while not done.is_set():
            try:
                if not event.wait(timeout=STOP_POLL):
                    continue
                order = variable.get(timeout=5)
            except Exception:  # the client or scheduler is gone: the task ends with them
                return
            token.cancel(
                str(order.get("reason", "stopped by the controller")),
                status=str(order.get("status", "killed")),
                grace=float(order.get("grace", 0.0)),
            )
            return

    threading.Thread(target=watch, name="mlops-dask-stop", daemon=True).start()


#: Seconds between a worker's checks of its point's stop Variable.
STOP_POLL = 0.1

_PoolKey = tuple[str, str, str, str, tuple[str, ...], bool]
_worker_pools: dict[_PoolKey, KernelPool] = {}
_pool_users: dict[_PoolKey, int] = {}
_idle_timers: dict[_PoolKey, threading.Timer] = {}
#: Seconds between metric flushes of kernels whose points may be stopped (0.5 s otherwise).
FAST_FLUSH = 0.1
#: Seconds a worker keeps its spare kernel after its last task (then the pool is closed).
POOL_IDLE_SECONDS = 60.0


def _acquire_worker_pool(
    kernel: str, cwd: str, store: RunStore, source: str, *, fast_metrics: bool = False
) -> tuple[_PoolKey, KernelPool]:
    """This worker's warm pool for (kernel, cwd, store, the notebook's leading imports), with
    one more kernel expected; its kernels fork from a template that ran those imports.

    The pool keeps one spare kernel booted beyond the running tasks, so a worker's next point
    does not wait for a boot; it is closed after POOL_IDLE_SECONDS without tasks and at exit
    (and a kernel whose worker dies exits with it: ipykernel polls its parent process).
    """
    from mlops_jupyter import env
    from mlops_jupyter.execution.executor import kernel_environment
    from mlops_jupyter.execution.preimports import leading_imports

    imports = tuple(leading_imports(source))
    kernel_env = kernel_environment(store)
    if fast_metrics:  # a pruned sweep's controller reads step metrics as they come
        kernel_env[env.FLUSH_INTERVAL] = str(FAST_FLUSH)
    key = (kernel, cwd, store.url, store.blobs.root, imports, fast_metrics)
    with _worker_lock:
        timer = _idle_timers.pop(key, None)
        if timer is not None:
            timer.cancel()
        pool = _worker_pools.get(key)
        if pool is None:
            pool = _worker_pools[key] = KernelPool(
                kernel, 2, cwd=cwd, env=kernel_env, preimports=imports
            )
            pool.expect(1)  # the spare
            atexit.register(pool.close)
        pool.expect(1)
        _pool_users[key] = _pool_users.get(key, 0) + 1
    return key, pool


def _release_worker_pool(key: _PoolKey) -> None:
    with _worker_lock:
        _pool_users[key] -= 1
        if _pool_users[key] == 0:
            timer = _idle_timers[key] = threading.Timer(POOL_IDLE_SECONDS, _close_idle_pool, (key,))
            timer.daemon = True
            timer.start()


def _close_idle_pool(key: _PoolKey) -> None:
    with _worker_lock:
        if _pool_users.get(key):
            return
        pool = _worker_pools.pop(key, None)
        _idle_timers.pop(key, None)
    if pool is not None:
        pool.close()
