"""SERVICE models: log, load, register, promote and serve the models a notebook trains.

``mj.models()`` is the public listing of registered models, and this package is also called
``models``: once it is imported, Python makes ``mlops_jupyter.models`` this package, so the package
is callable and calling it is ``mj.models()`` (the registry listing), whichever import came first.
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


class _CallablePackage(types.ModuleType):
    """This package, callable as the registry listing `models.registry.models`."""

    def __call__(self, **kwargs: Any) -> pd.DataFrame:
        from mlops_jupyter.models.registry import models

        return models(**kwargs)


sys.modules[__name__].__class__ = _CallablePackage
