"""mlops-jupyter: notebook-native experiment tracking, execution and conversion.

The public Python API, re-exported lazily (PEP 562): ``import mlops_jupyter`` opens nothing,
starts nothing and stays cheap, so the CLI's converter commands do not pay for SQLAlchemy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from mlops_jupyter.version import __version__

_EXPORTS = {
    "MlopsJupyterError": "errors",
    "RunStore": "store",
    "open_store": "store",
    "RunRecord": "store.records",
    "drift": "monitoring.drift",
    "check_metrics": "monitoring.gates",
    **dict.fromkeys(("Run", "active_run", "end_run", "start_run"), "tracking.run"),
    **dict.fromkeys(("run_notebook", "sweep_notebook", "reproduce_run"), "execution"),
    "track_cell": "models.cell_models",
    "track_pipeline": "models.pipeline_run",
    **dict.fromkeys(
        (
            "get_run",
            "log_artifact",
            "log_figure",
            "log_input",
            "log_metric",
            "log_metrics",
            "log_param",
            "log_params",
            "log_table",
            "runs",
            "set_tag",
            "set_tags",
        ),
        "tracking.fluent",
    ),
    "log_model": "models.saving",
    "load_model": "models.loading",
    "log_fitted_models": "models.autolog",
    "optuna_sweep": "execution.optuna_sweep",  # needs the optuna extra
    **dict.fromkeys(
        (
            "alias_history",
            "delete_model_alias",
            "delete_model_tag",
            "get_model_version",
            "get_registered_model",
            "model_versions",
            "models",
            "register_model",
            "set_model_alias",
            "set_model_description",
            "set_model_tag",
        ),
        "models.registry",
    ),
}

__all__ = ["__version__", *sorted(_EXPORTS), "load_ipython_extension", "unload_ipython_extension"]

if TYPE_CHECKING:  # the names __getattr__ serves, for type checkers
    from mlops_jupyter.errors import MlopsJupyterError
    from mlops_jupyter.execution import reproduce_run, run_notebook, sweep_notebook
    from mlops_jupyter.execution.optuna_sweep import optuna_sweep
    from mlops_jupyter.models.autolog import log_fitted_models
    from mlops_jupyter.models.cell_models import track_cell
    from mlops_jupyter.models.loading import load_model
    from mlops_jupyter.models.pipeline_run import track_pipeline
    from mlops_jupyter.models.registry import (
        alias_history,
        delete_model_alias,
        delete_model_tag,
        get_model_version,
        get_registered_model,
        model_versions,
        models,
        register_model,
        set_model_alias,
        set_model_description,
        set_model_tag,
    )
    from mlops_jupyter.models.saving import log_model
    from mlops_jupyter.monitoring.drift import drift
    from mlops_jupyter.monitoring.gates import check_metrics
    from mlops_jupyter.store import RunStore, open_store
    from mlops_jupyter.store.records import RunRecord
    from mlops_jupyter.tracking.fluent import (
        get_run,
        log_artifact,
        log_figure,
        log_input,
        log_metric,
        log_metrics,
        log_param,
        log_params,
        log_table,
        runs,
        set_tag,
        set_tags,
    )
    from mlops_jupyter.tracking.run import Run, active_run, end_run, start_run


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'mlops_jupyter' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext mlops_jupyter``: register %track, %%track and %runs."""
    from mlops_jupyter.magics.extension import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext mlops_jupyter``."""
    from mlops_jupyter.magics.extension import unload_ipython_extension as unload

    unload(ipython)


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """Where the prebuilt JupyterLab extension lives ("dest" is the npm package name)."""
    return [{"src": "labextension", "dest": "mlops-jupyter"}]


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    """The jupyter_server extension: REST routes for the Runs panel (imported only by the
    server)."""
    from mlops_jupyter.server.app import MlopsJupyterApp

    return [{"module": "mlops_jupyter.server.app", "app": MlopsJupyterApp}]
