"""The flavours table: how each kind of model is saved, loaded and asked to predict.

Checked in order; the first whose `matches` holds logs the model. A flavour is matched by the
names of the model's classes, so the table never imports torch, xgboost or lightgbm itself:
those are needed only to save and load models of their own.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mlops_jupyter.models import pickling

Files = dict[str, bytes]


def _classes(obj: Any) -> list[str]:
    return [f"{c.__module__}.{c.__qualname__}" for c in type(obj).__mro__]


def _from(obj: Any, package: str) -> bool:
    return any(name.startswith(package + ".") for name in _classes(obj))


def _call_predict(native: Any, data: Any) -> Any:
    return native.predict(data)


@dataclass(frozen=True)
class Flavor:
    """One way to persist a model: its packages (pinned in the requirements) and its calls."""

    name: str
    packages: tuple[str, ...]
    matches: Callable[[Any], bool]
    save: Callable[[Any], tuple[Files, dict[str, Any]]]
    load: Callable[[Files, dict[str, Any]], Any]
    predict: Callable[[Any, Any], Any] = field(default=_call_predict)


# -- pickled flavours (scikit-learn and the generic one) ------------------------------------


def _save_pickle(obj: Any) -> tuple[Files, dict[str, Any]]:
    return {"model.pkl": pickling.dumps(obj)}, {"format": "cloudpickle"}


def _load_pickle(files: Files, info: dict[str, Any]) -> Any:
    return pickling.loads(files["model.pkl"])


def _is_sklearn(obj: Any) -> bool:
    """scikit-learn's own estimators, and anything following its API (fit, predict, get_params)."""
    if _from(obj, "sklearn"):
        return True
    return all(callable(getattr(obj, m, None)) for m in ("fit", "predict", "get_params"))


# -- XGBoost: its JSON model format ---------------------------------------------------------


def _is_xgboost(obj: Any) -> bool:
    return _from(obj, "xgboost") and hasattr(obj, "save_model")


def _save_xgboost(obj: Any) -> tuple[Files, dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.json")
        obj.save_model(path)
        with open(path, "rb") as f:
            data = f.read()
    return {"model.json": data}, {"format": "xgboost-json", "class": type(obj).__name__}


def _load_xgboost(files: Files, info: dict[str, Any]) -> Any:
    import xgboost

    model = getattr(xgboost, info["class"])()
    model.load_model(bytearray(files["model.json"]))
    return model


def _predict_xgboost(native: Any, data: Any) -> Any:
    import xgboost

    if isinstance(native, xgboost.Booster):
        return native.predict(xgboost.DMatrix(data))
    return native.predict(data)


# -- LightGBM: its text model format (plus the scikit-learn wrapper around it) --------------


def _is_lightgbm(obj: Any) -> bool:
    return _from(obj, "lightgbm")


def _save_lightgbm(obj: Any) -> tuple[Files, dict[str, Any]]:
    import lightgbm

    booster = obj if isinstance(obj, lightgbm.Booster) else obj.booster_
    files = {"model.txt": booster.model_to_string().encode()}
    if not isinstance(obj, lightgbm.Booster):  # the wrapper's classes_, params, objective
        files["model.pkl"] = pickling.dumps(obj)
    return files, {"format": "lightgbm-text", "class": type(obj).__name__}


def _load_lightgbm(files: Files, info: dict[str, Any]) -> Any:
    if "model.pkl" in files:
        return pickling.loads(files["model.pkl"])
    import lightgbm

    return lightgbm.Booster(model_str=files["model.txt"].decode())


# -- PyTorch: torch.save with cloudpickle (the module's classes travel by value) ------------


def _is_torch(obj: Any) -> bool:
    return _from(obj, "torch") and any(n == "torch.nn.modules.module.Module" for n in _classes(obj))


def _save_torch(obj: Any) -> tuple[Files, dict[str, Any]]:
    import cloudpickle
    import torch

    buffer = io.BytesIO()
    pickling.dump_with(lambda: torch.save(obj, buffer, pickle_module=cloudpickle))
    return {"model.pt": buffer.getvalue()}, {"format": "torch-save", "class": type(obj).__name__}


def _load_torch(files: Files, info: dict[str, Any]) -> Any:
    import torch

    model = torch.load(io.BytesIO(files["model.pt"]), weights_only=False)
    model.eval()
    return model


def _predict_torch(native: Any, data: Any) -> Any:
    import numpy as np
    import torch

    values = data.to_numpy() if hasattr(data, "to_numpy") else np.asarray(data)
    with torch.no_grad():
        out = native(torch.as_tensor(np.asarray(values, dtype=np.float32)))
    return out.detach().cpu().numpy()


def _has_predict(obj: Any) -> bool:
    return callable(getattr(obj, "predict", None))


#: Checked in order: the first match logs the model.
FLAVORS: tuple[Flavor, ...] = (
    Flavor(
        "pytorch", ("torch", "cloudpickle"), _is_torch, _save_torch, _load_torch, _predict_torch
    ),
    Flavor("xgboost", ("xgboost",), _is_xgboost, _save_xgboost, _load_xgboost, _predict_xgboost),
    Flavor("lightgbm", ("lightgbm", "cloudpickle"), _is_lightgbm, _save_lightgbm, _load_lightgbm),
    Flavor("sklearn", ("scikit-learn", "cloudpickle"), _is_sklearn, _save_pickle, _load_pickle),
    Flavor("generic", ("cloudpickle",), _has_predict, _save_pickle, _load_pickle),
)

BY_NAME = {f.name: f for f in FLAVORS}


def flavor_of(obj: Any) -> Flavor | None:
    """The flavour that logs `obj`, None when no flavour can (no `predict`)."""
    return next((f for f in FLAVORS if f.matches(obj)), None)


def is_fitted_model(obj: Any) -> bool:
    """Whether `obj` is a fitted model of a known flavour (what `%%track` logs without a call):
    scikit-learn style estimators with fitted attributes (``coef_``, ``classes_``...),
    boosters, and torch modules. Classes themselves and unfitted estimators are not."""
    if isinstance(obj, type):
        return False
    if _is_torch(obj):  # a module predicts by being called: it has no `predict`
        return True
    if not _has_predict(obj):
        return False
    flavor = flavor_of(obj)
    if flavor is None or flavor.name == "generic":
        return False
    if type(obj).__name__ == "Booster":
        return True
    try:
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(obj)
        return True
    except Exception:
        return False
