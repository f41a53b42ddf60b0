"""mlops-jupyter: notebook-native experiment tracking, execution and conversion.

The public Python API, re-exported; importing it opens nothing and starts nothing.
"""

from __future__ import annotations

from .errors import MlopsJupyterError
from .store import RunStore, open_store
from .store.records import RunRecord
from .tracking import (
    Run,
    active_run,
    end_run,
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
    start_run,
)

__version__ = "0.1.0"

__all__ = [
    "MlopsJupyterError",
    "Run",
    "RunRecord",
    "RunStore",
    "__version__",
    "active_run",
    "end_run",
    "get_run",
    "log_artifact",
    "log_figure",
    "log_input",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "log_table",
    "open_store",
    "runs",
    "set_tag",
    "set_tags",
    "start_run",
]
