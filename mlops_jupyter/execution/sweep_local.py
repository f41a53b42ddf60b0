"""The local sweep back-end: points on a pool of warm kernels on this machine, `jobs` at once."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor

from mlops_jupyter.execution.cancel import CancelToken
from mlops_jupyter.execution.executor import kernel_environment
from mlops_jupyter.execution.job import NotebookJob
from mlops_jupyter.execution.kernels import KernelPool
from mlops_jupyter.execution.preimports import leading_imports
from mlops_jupyter.execution.sweep_point import PointResult, execute_point
from mlops_jupyter.store import RunStore


def run_points_locally(
    store: RunStore,
    sweep_id: str,
    cwd: str,
    jobs_by_point: dict[int, NotebookJob],
    existing: Mapping[int, str | None],
    *,
    jobs: int,
    timeout: float | None,
    retries: int,
    on_point: Callable[[PointResult], None] | None,
    output_dir: str | None = None,
    cancel: CancelToken | None = None,
    preimport: bool = True,
    on_log: Callable[[str], None] | None = None,
    keep_warm: bool = False,
) -> dict[int, PointResult]:
    """Execute the points on warm kernels, `jobs` at once; a cancel starts no further point.

    With `preimport`, kernels are forked from a template that ran the notebook's leading
    imports (or start fresh, said through `on_log`, when those are unsafe to fork).

    Ctrl-C (KeyboardInterrupt) cancels: the running points' kernels are killed at once and
    their runs end ``killed``, points not started are dropped, finished ones stay; then the
    KeyboardInterrupt goes on to the caller.
    """
    token = cancel if cancel is not None else CancelToken()
    first = next(iter(jobs_by_point.values()))
    results: dict[int, PointResult] = {}
    lock = threading.Lock()
    pool = KernelPool(
        first.kernel_name,
        warm_kernels(jobs),
        cwd=cwd,
        env=kernel_environment(store),
        preimports=leading_imports(first.source) if preimport else None,
        on_note=on_log,
        keep_template=keep_warm,
    )
    try:
        with pool:
            pool.expect(len(jobs_by_point))

            def work(index: int) -> None:
                if token.cancelled:  # cancelled: start no further point
                    return
                result = execute_point(
                    store,
                    sweep_id,
                    index,
                    jobs_by_point[index],
                    pool,
                    existing.get(index),
                    timeout=timeout,
                    retries=retries,
                    cwd=cwd,
                    output_dir=output_dir,
                    cancel=token,
                )
                with lock:
                    results[index] = result
                if on_point is not None:
                    on_point(result)

            ex = ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="mlops-point")
            try:
                for future in [ex.submit(work, i) for i in jobs_by_point]:
                    future.result()
            except KeyboardInterrupt:  # kill the running kernels now rather than wait for them
                token.cancel("interrupted (Ctrl-C)")
                raise
            finally:  # on Ctrl-C or an error, points not started yet are dropped
                ex.shutdown(wait=True, cancel_futures=True)
    finally:
        if token.cancelled:  # a cancelled sweep leaves no template process behind
            pool.drop_template()
    return results


def warm_kernels(jobs: int) -> int:
    """Kernels kept booting/ready ahead of demand for `jobs` concurrent points.

    A kernel takes ~0.8 s of wall time to boot but only ~0.25 s of CPU, and a small point runs
    in ~0.15 s, so one spare kernel per job is not enough: boots must overlap each other.
    Capped at ``jobs + 4`` so that wide sweeps do not hold dozens of idle kernels (~60 MB each).
    """
    return max(2, min(2 * jobs + 1, jobs + 4))
