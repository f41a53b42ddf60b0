"""The scoring server's fast path: a plan compiled once from the model's signature, so the common
request (numbers in the signature's columns) skips the per-request DataFrame and dtype checks.

Why: on a small model most of a request's time is pandas and scikit-learn validation, not the
model. When every signature column has one numeric dtype, a ``dataframe_split`` with the
signature's columns in order, or records with exactly those keys, become one ndarray of
that dtype; a scikit-learn model made only of scikit-learn's own estimators gets the ndarray
itself (the columns were checked here, by name), any other model a DataFrame built from it.
Anything else (other columns, booleans, strings, nulls, an ``index``) returns None from
`Scorer.decode` and takes the general path, which gives the same predictions and every error
message; the server's tests check both paths answer alike.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mlops_jupyter.models.loading import PyFuncModel

#: The signature dtypes the fast path handles (a JSON number converts to them losslessly, as
#: the general path converts it).
_DTYPES = {"float64": "if", "float32": "if", "int64": "i"}
#: scikit-learn estimators that use column names, or run the user's code on the frame itself.
_NEEDS_FRAME = ("ColumnTransformer", "FunctionTransformer")
#: What scikit-learn says for an ndarray when it was fitted on a DataFrame: the fast path
#: checked the names itself, so for it this warning is always spurious.
_NAMES_WARNING = "X does not have valid feature names"


@dataclass(frozen=True)
class Checked:
    """Rows already matched to the signature: an ndarray in its columns' order and dtype."""

    array: np.ndarray


class Scorer:
    """A model's scoring plan: `decode` turns a request's rows into a Checked array when they
    fit the fast path (else None), and `predict` scores Checked arrays or any other input."""

    def __init__(self, model: PyFuncModel) -> None:
        self.model = model
        self.names: list[str] | None = None
        self.columns: pd.Index | None = None
        self.dtype: np.dtype[Any] | None = None
        self.kinds = ""
        self.array_ok = False
        spec = (model.signature or {}).get("inputs") or {}
        columns = spec.get("columns") if spec.get("type") == "dataframe" else None
        types = {c["type"] for c in columns or []}
        if not columns or len(types) != 1 or next(iter(types)) not in _DTYPES:
            return  # no signature, tensors, or mixed dtypes: the general path for everything
        want = next(iter(types))
        self.names = [c["name"] for c in columns]
        self.columns = pd.Index(self.names)
        self.dtype, self.kinds = np.dtype(want), _DTYPES[want]
        self.array_ok = model.flavor.name == "sklearn" and _sklearn_only(model.native)
        if self.array_ok:
            self.array_ok = self._same_on_arrays()

    @property
    def fast(self) -> bool:
        """Whether requests can take the fast path at all."""
        return self.names is not None

    def decode(self, key: str, value: Any) -> Checked | None:
        """The rows of a ``key: value`` request as a Checked array, None when they do not fit
        (the caller then decodes them the general way). The body must hold no JSON booleans:
        numpy would read them as numbers, the general path refuses them."""
        assert self.names is not None
        if key == "dataframe_split":
            if not isinstance(value, dict) or value.keys() != {"columns", "data"}:
                return None
            if value["columns"] != self.names:
                return None
            rows = value["data"]
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            rows = self._record_rows(value)  # dataframe_records, or instances/inputs as records
        else:
            return None  # lists of rows match no column names: the general path refuses them
        return None if rows is None else self._checked(rows)

    def _record_rows(self, records: Any) -> list[list[Any]] | None:
        names, width = self.names, len(self.names or ())
        if not isinstance(records, list) or not records:
            return None
        try:
            rows = [[r[n] for n in names or ()] for r in records if len(r) == width]
        except (KeyError, TypeError):
            return None  # a missing column, or a record that is not an object
        return rows if len(rows) == len(records) else None

    def _checked(self, rows: Any) -> Checked | None:
        if not isinstance(rows, list) or not rows or not isinstance(rows[0], list):
            return None
        try:
            array = np.array(rows)
        except ValueError:  # ragged rows: the general path names the problem
            return None
        if array.ndim != 2 or array.shape[1] != len(self.names or ()):
            return None
        if array.dtype.kind not in self.kinds:  # nulls, text, integers too large: general path
            return None
        return Checked(array.astype(self.dtype, copy=False))

    def predict(self, data: Any) -> Any:
        """The model's predictions: Checked arrays straight to the model, the rest through
        PyFuncModel.predict (signature enforcement and all)."""
        if not isinstance(data, Checked):
            return self.model.predict(data)
        if not self.array_ok:
            frame = pd.DataFrame(data.array, columns=self.columns)
            return self.model.flavor.predict(self.model.native, frame)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=_NAMES_WARNING, category=UserWarning)
            return self.model.native.predict(data.array)

    def _same_on_arrays(self) -> bool:
        """Whether the model predicts the same on the input example as an ndarray as on the
        DataFrame the general path builds (a last check on top of the estimator list)."""
        example = self.model.input_example or {}
        split = example.get("dataframe_split") or {}
        rows = split.get("data") if split.get("columns") == self.names else None
        checked = self._checked(rows) if rows else None
        if checked is None:
            checked = Checked(np.zeros((1, len(self.names or ())), dtype=self.dtype))
        try:
            frame = self.model.prepare(pd.DataFrame(checked.array, columns=self.columns))
            on_frame = np.asarray(self.model.native.predict(frame))
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=_NAMES_WARNING, category=UserWarning)
                on_array = np.asarray(self.model.native.predict(checked.array))
        except Exception:  # the model cannot take arrays (or not this example): frames only
            return False
        return on_frame.shape == on_array.shape and bool(
            np.array_equal(on_frame, on_array, equal_nan=on_frame.dtype.kind in "fc")
        )


def _sklearn_only(model: Any) -> bool:
    """Whether `model` and every estimator inside it are scikit-learn's own and none of them
    selects columns by name or runs user code on the frame (so an ndarray is the same input)."""
    parts = [model]
    get_params = getattr(model, "get_params", None)
    if callable(get_params):
        try:
            parts += [v for v in get_params(deep=True).values() if hasattr(v, "fit")]
        except Exception:
            return False
    for part in parts:
        kind = type(part)
        if not kind.__module__.startswith("sklearn.") or kind.__name__ in _NEEDS_FRAME:
            return False
    return True
