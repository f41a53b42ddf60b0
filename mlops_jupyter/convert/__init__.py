"""Notebook conversion: runnable scripts, tested pipeline packages and the pre-flight check."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlops_jupyter.convert.script import export_script

if TYPE_CHECKING:
    from mlops_jupyter.convert.check import check_notebook
    from mlops_jupyter.convert.pipeline import convert_notebook

__all__ = ["export_script", "convert_notebook", "check_notebook"]


def __getattr__(name: str) -> Any:
    if name == "convert_notebook":
        from mlops_jupyter.convert.pipeline import convert_notebook

        return convert_notebook
    if name == "check_notebook":
        from mlops_jupyter.convert.check import check_notebook

        return check_notebook
    raise AttributeError(name)
