"""The Dask executor of a converted package: one task per step, independent steps in parallel,
inputs passed as pickled bytes, the step cache shared (a folder every worker can reach)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .runtime import Cache, Outcome, PipelineError, Step, load_blobs, report_line, run_step


def dask_task(
    step: Step,
    params: Mapping[str, Any],
    cache: str | None,
    forced: bool,
    *upstream: Outcome,
) -> Outcome:
    """One step on a Dask worker: inputs unpickled afresh from the producers' bytes (so steps
    running side by side never share, nor mutate, one object)."""
    producers = {o.name: o for o in upstream}
    arguments = dict(params)
    hashes = {}
    wanted: dict[str, list[str]] = {}
    for name, producer in step.inputs:
        wanted.setdefault(producer, []).append(name)
        hashes[name] = producers[producer].hashes[name]
    for producer, names in wanted.items():  # one step's outputs together: one object stays one
        arguments.update(load_blobs(producers[producer].blobs, names))
    outcome = run_step(step, arguments, hashes, Cache(cache) if cache else None, forced)
    outcome.values = None  # only the bytes travel back
    return outcome


def execute_dask(
    graph: tuple[Step, ...],
    ns: dict[str, Any],
    cache: str | os.PathLike[str] | None,
    forced: set[str],
    scheduler: str | None,
    report: bool,
) -> dict[str, Any]:
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError as err:
        raise PipelineError(
            "--executor dask needs dask.distributed: pip install 'dask[distributed]'"
        ) from err
    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        cluster = LocalCluster(
            n_workers=1,
            threads_per_worker=os.cpu_count() or 2,
            processes=False,
            dashboard_address=None,
        )
        client = Client(cluster)
    root = str(Path(cache).absolute()) if cache is not None else None
    try:
        futures: dict[str, Any] = {}
        for step in graph:
            futures[step.name] = client.submit(
                dask_task,
                step,
                {p: ns[p] for p in step.params},
                root,
                step.name in forced,
                *[futures[d] for d in step.after if d in futures],
                key=f"step-{step.name}-{uuid.uuid4().hex[:8]}",
                pure=False,
            )
        outcomes = {}
        for future in as_completed(list(futures.values())):
            outcome = future.result()
            outcomes[outcome.name] = outcome
            if report:
                report_line(outcome)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    for step in graph:
        ns.update(load_blobs(outcomes[step.name].blobs, outcomes[step.name].blobs))
    return ns
