"""Which values a `%%track` cell (or a converted package's step) logs as models without a call:
fitted models of a known flavour it assigned, each with an input example found beside it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from mlops_jupyter.models.flavors import is_fitted_model
from mlops_jupyter.models.saving import ModelInfo, log_model
from mlops_jupyter.tracking.run import Run


def fitted_models(namespace: Mapping[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """The assigned `names` whose value is a fitted model of a known flavour."""
    found = {}
    for name in names:
        value = namespace.get(name)
        if not name.startswith("_") and value is not None and is_fitted_model(value):
            found[name] = value
    return found


def input_example_for(model: Any, namespace: Mapping[str, Any]) -> Any:
    """The first rows of a DataFrame in `namespace` with exactly the columns the model was
    fitted on (``feature_names_in_``), else None: the signature then comes from real data."""
    wanted = getattr(model, "feature_names_in_", None)
    if wanted is None:
        return None
    wanted = [str(c) for c in wanted]
    for value in list(namespace.values()):
        columns = getattr(value, "columns", None)
        if columns is not None and hasattr(value, "head") and [str(c) for c in columns] == wanted:
            return value.head(5)
    return None


def log_assigned_models(
    run: Run, namespace: Mapping[str, Any], names: Iterable[str]
) -> list[ModelInfo]:
    """Log every fitted model among `names` into `run`, named after its variable."""
    return [
        log_model(model, name, input_example=input_example_for(model, namespace), run=run)
        for name, model in fitted_models(namespace, names).items()
    ]


def log_fitted_models(
    namespace: Mapping[str, Any], names: Iterable[str] | None = None, *, run: Run | None = None
) -> list[ModelInfo]:
    """Log the fitted models of a known flavour among `namespace`'s values (only `names`, when
    given), each named after its variable, into `run` (default: the active run, else a new one).

    What `%%track` does for the models a cell assigns, for code outside a notebook (a converted
    package's pipeline uses it for the outputs of its steps).
    """
    from mlops_jupyter.tracking.run import active_run, start_run

    chosen = list(namespace) if names is None else list(names)
    if not fitted_models(namespace, chosen):
        return []
    return log_assigned_models(run or active_run() or start_run(), namespace, chosen)
