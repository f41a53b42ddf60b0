"""A converted package's ``--track`` run (``python -m PKG --track [--register NAME]``), recorded
like the notebook's ``mlops-jupyter run``: one parent run with the notebook's parameters, the
files its untracked steps read and, rolled up from its tracked steps, their metrics; each
``%%track`` step a child run with its params, metrics, figures, tables, inputs and models
(tracking/cell_run.py). A gate or a drift check against a notebook run (or
``models:/NAME@ALIAS`` from either) compares like with like.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mlops_jupyter import env
from mlops_jupyter.models.autolog import log_fitted_models
from mlops_jupyter.models.promotion import register_run_model
from mlops_jupyter.models.saving import ModelInfo
from mlops_jupyter.store.model_records import ModelVersionRecord
from mlops_jupyter.tracking.cell_inputs import noting_reads
from mlops_jupyter.tracking.cell_run import guarded
from mlops_jupyter.tracking.inputs import record_reads
from mlops_jupyter.tracking.read_hooks import Reads
from mlops_jupyter.tracking.rollup import rollup_child_metrics
from mlops_jupyter.tracking.run import Run, start_run
from mlops_jupyter.value_kinds import is_simple_param

#: The ``mlops.kind`` tag of a pipeline's run (a notebook's run has ``notebook``).
PIPELINE_KIND = "pipeline"


@dataclass
class PipelineRun:
    """What a tracked pipeline run recorded."""

    run_id: str
    namespace: dict[str, Any]  # the pipeline's result: parameters and step outputs
    models: list[ModelInfo] = field(default_factory=list)  # logged from the step outputs
    version: ModelVersionRecord | None = None  # registered with `register`


def track_pipeline(
    pipeline: Callable[[], dict[str, Any]],
    name: str,
    *,
    params: Mapping[str, Any],
    outputs: Sequence[str] = (),
    register: str | None = None,
    tags: Mapping[str, Any] | None = None,
) -> PipelineRun:
    """Run `pipeline` (which runs every step) as one recorded run in the project store.

    Args:
        pipeline: Runs the steps; returns the namespace (parameters and step outputs).
        name: The run's name.
        params: The notebook parameters' values (the simple ones are recorded, as
            ``value_kinds.is_simple_param`` says: lists of numbers and None too).
        outputs: The step outputs to log as models when they are fitted models.
        register: Register the run's last model (a step output's, else the one its last
            tracked step logged) as the next version of this name.
        tags: More tags for the run.

    Returns:
        The run's id, the namespace, the models logged and the version registered (None when
        `register` is not given or no model was logged: the caller says so).
    """
    simple = {k: v for k, v in params.items() if is_simple_param(v)}  # the notebook's rule
    run = start_run(name, params=simple, tags={"mlops.kind": PIPELINE_KIND, **dict(tags or {})})
    with run:
        reads = None
        try:
            with _parent_for_other_threads(run.run_id), noting_reads() as reads:
                namespace = pipeline()
            logged = log_fitted_models(namespace, list(outputs), run=run)
        finally:  # a failed pipeline's run keeps what its finished steps measured and read
            guarded("rolling up the steps' metrics", lambda: rollup_child_metrics(run.store, run))
            if reads is not None:
                _record_reads(run, reads)
    version = register_run_model(run.run_id, register, store=run.store) if register else None
    return PipelineRun(run.run_id, namespace, logged, version)


def _record_reads(run: Run, reads: Reads) -> None:
    """The files the untracked steps read (a tracked step's go on its own run), on the
    pipeline's run: what CT trained on, for `runs inputs` and `reproduce`."""
    problems = guarded("recording inputs", lambda: record_reads(run, reads)) or []
    if problems:
        warnings.warn(
            f"mlops-jupyter: recording the pipeline's inputs: {problems[0]}", stacklevel=3
        )


@contextlib.contextmanager
def _parent_for_other_threads(run_id: str) -> Iterator[None]:
    """Steps run on other threads (``--executor dask``'s local cluster) or in subprocesses see
    no active run: MLOPS_JUPYTER_PARENT_RUN makes their tracked steps children of the pipeline's
    run too, as a notebook's kernel is told its run."""
    before = os.environ.get(env.PARENT_RUN)
    os.environ[env.PARENT_RUN] = run_id
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(env.PARENT_RUN, None)
        else:
            os.environ[env.PARENT_RUN] = before
