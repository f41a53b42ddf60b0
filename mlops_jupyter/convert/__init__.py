"""Notebook conversion: runnable scripts, tested pipeline packages, their DVC and Airflow
exports, and the pre-flight check."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlops_jupyter.convert.check import check_notebook
    from mlops_jupyter.convert.export_airflow import export_airflow
    from mlops_jupyter.convert.export_dvc import export_dvc
    from mlops_jupyter.convert.pipeline import convert_notebook
    from mlops_jupyter.convert.script import export_script

__all__ = ["check_notebook", "convert_notebook", "export_airflow", "export_dvc", "export_script"]
_HOMES = {
    "export_script": "script",
    "convert_notebook": "pipeline",
    "check_notebook": "check",
    "export_dvc": "export_dvc",
    "export_airflow": "export_airflow",
}


def __getattr__(name: str) -> Any:
    """Import the public functions on first use, so that importing the CLI stays cheap."""
    if name in _HOMES:
        return getattr(importlib.import_module(f"mlops_jupyter.convert.{_HOMES[name]}"), name)
    raise AttributeError(f"module 'mlops_jupyter.convert' has no attribute {name!r}")
