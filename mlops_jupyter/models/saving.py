"""`log_model`: save a model of any known flavour into a run, with its signature, its exact
requirements, the notebook cell it came from, and the notebook's own code by value."""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from mlops_jupyter.errors import ModelFlavorError
from mlops_jupyter.models import bundle, pickling
from mlops_jupyter.models import requirements as reqs
from mlops_jupyter.models import signature as sigs
from mlops_jupyter.models.flavors import flavor_of
from mlops_jupyter.models.uris import check_name, run_uri
from mlops_jupyter.tracking.run import Run, active_run, start_run


@dataclass(frozen=True)
class ModelInfo:
    """What `log_model` recorded; `model_uri` loads it (``runs:/RUN_ID/NAME``)."""

    name: str
    run_id: str
    model_uri: str
    flavor: str
    signature: dict[str, Any] | None
    requirements: list[str] = field(default_factory=list)
    model_class: str = ""


def log_model(
    model: Any,
    name: str,
    *,
    input_example: Any = None,
    signature: dict[str, Any] | None = None,
    code_paths: Iterable[str | os.PathLike[str]] | None = None,
    requirements: list[str] | None = None,
    run: Run | None = None,
) -> ModelInfo:
    """Log `model` as the model `name` of the active run (started if none, as MLflow does).

    Args:
        model: A scikit-learn estimator or pipeline (or anything with its API), an XGBoost or
            LightGBM model, a PyTorch module (when torch is installed), or any object with
            ``predict``. Classes and functions defined in the notebook or in local modules
            are saved with it by value.
        name: The model's name in the run (its URI is ``runs:/RUN_ID/name``).
        input_example: A DataFrame, array or list of records: the signature is inferred
            from it (column names and dtypes, pandas nullable dtypes kept) and it is stored.
        signature: An explicit signature (``{"inputs": ..., "outputs": ...}``) instead.
        code_paths: Files or folders to ship with the model, put on ``sys.path`` at load.
        requirements: Pinned requirements instead of the inferred ones.
        run: The run to log into (default: the active run).

    Raises:
        ModelFlavorError: no flavour can log `model` (it has no ``predict``).
    """
    check_name(name)
    flavor = flavor_of(model)
    if flavor is None:
        raise ModelFlavorError(
            f"cannot log a {type(model).__name__} as a model: it has no predict method "
            "(log a fitted estimator, a booster, a torch module, or an object with predict)"
        )
    run = run or active_run() or start_run()
    files, info = flavor.save(model)
    if code_paths:
        files[bundle.CODE_ARCHIVE] = bundle.zip_code(code_paths)
    sig = signature if signature is not None else _infer(flavor, model, input_example)
    if requirements is None:
        modules = set().union(*(pickling.referenced_modules(d) for d in files.values()))
        if sig and sig.get("inputs", {}).get("type") == "dataframe":
            modules.add("pandas")
        requirements = reqs.requirements_for(modules, flavor.packages)
    model_class = f"{type(model).__module__}.{type(model).__qualname__}"
    doc = {
        "format_version": 1,
        "name": name,
        "flavor": flavor.name,
        "flavor_info": info,
        "model_class": model_class,
        "signature": sig,
        "input_example": signature_example(input_example),
        "requirements": requirements,
        "python": reqs.python_version(),
        "run_id": run.run_id,
        "cell": _cell_of(run),
        "created": time.time(),
    }
    bundle.write(run.store, run.run_id, name, files, doc)
    return ModelInfo(
        name,
        run.run_id,
        run_uri(run.run_id, name),
        flavor.name,
        sig,
        list(requirements),
        model_class,
    )


def signature_example(example: Any) -> dict[str, Any] | None:
    """The stored input example, or None when there is none or it cannot be written as JSON."""
    if example is None:
        return None
    try:
        return sigs.example_json(example)
    except Exception:
        return None


def _infer(flavor: Any, model: Any, example: Any) -> dict[str, Any] | None:
    """The signature of the example and of the model's prediction on it (output best-effort)."""
    if example is None:
        return None
    frame = sigs.example_frame(example)
    try:
        output = flavor.predict(model, frame)
    except Exception as err:  # the model cannot predict its own example: inputs only
        warnings.warn(
            f"mlops-jupyter: the model could not predict its input example ({err}); only the "
            "input signature is recorded",
            RuntimeWarning,
            stacklevel=3,
        )
        output = None
    return sigs.infer_signature(frame, output)


def _cell_of(run: Run) -> dict[str, Any]:
    """The notebook cell the model came from (as the run recorded it), empty outside one."""
    try:
        record = run.store.get_run(run.run_id)
    except Exception:
        return {}
    cell = record.provenance.get("cell") or {}
    return {
        "cell_id": record.cell_id or cell.get("cell_id"),
        "notebook": record.source_notebook or cell.get("notebook"),
        "execution_count": cell.get("execution_count"),
        "source_sha256": cell.get("source_sha256"),
    }
