"""Reproducible execution: typed parameters, `run_notebook`, sweeps (warm kernels, Dask), reproduce.

Names are re-exported lazily so that ``import mlops_jupyter.execution`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "run_notebook": "executor",
    "sweep_notebook": "sweep",
    "reproduce_run": "reproduce",
    "prepare_job": "job",
    "NotebookJob": "job",
    "KernelPool": "kernels",
    "notebook_schema": "parameters",
    "ReproduceResult": "reproduce",
    "SweepResult": "sweep_report",
}

__all__ = [
    "KernelPool",
    "NotebookJob",
    "ReproduceResult",
    "SweepResult",
    "notebook_schema",
    "prepare_job",
    "reproduce_run",
    "run_notebook",
    "sweep_notebook",
]

if TYPE_CHECKING:
    from mlops_jupyter.execution.executor import run_notebook
    from mlops_jupyter.execution.job import NotebookJob, prepare_job
    from mlops_jupyter.execution.kernels import KernelPool
    from mlops_jupyter.execution.parameters import notebook_schema
    from mlops_jupyter.execution.reproduce import ReproduceResult, reproduce_run
    from mlops_jupyter.execution.sweep import sweep_notebook
    from mlops_jupyter.execution.sweep_report import SweepResult


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'mlops_jupyter.execution' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
