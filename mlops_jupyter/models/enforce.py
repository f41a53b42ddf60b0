"""Signature enforcement: turn a DataFrame, array, dict or list of records into the model's input,
or raise one ModelInputError naming the column and what it expected."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mlops_jupyter.errors import ModelInputError


def as_frame(data: Any) -> pd.DataFrame:
    """A DataFrame from a DataFrame, Series, dict of columns or list of records."""
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, pd.Series):
        return data.to_frame()
    if isinstance(data, dict):
        try:
            return pd.DataFrame({k: v if isinstance(v, list) else [v] for k, v in data.items()})
        except ValueError as err:
            raise ModelInputError(f"the input columns have different lengths: {err}") from None
    if isinstance(data, list) and (not data or isinstance(data[0], dict)):
        return pd.DataFrame.from_records(data)
    return pd.DataFrame(np.asarray(data))


def enforce(data: Any, signature: dict[str, Any] | None) -> Any:
    """`data` checked and converted to what the model was trained on (see module docstring)."""
    spec = (signature or {}).get("inputs")
    if not spec:
        return as_frame(data) if isinstance(data, (list, dict)) else data
    if spec.get("type") == "dataframe":
        return _enforce_columns(data, spec["columns"])
    return _enforce_tensor(data, spec)


def _enforce_columns(data: Any, columns: list[dict[str, str]]) -> pd.DataFrame:
    names = [c["name"] for c in columns]
    if not isinstance(data, (pd.DataFrame, pd.Series, dict, list)):
        array = np.asarray(data)
        if array.ndim != 2 or array.shape[1] != len(names):
            raise ModelInputError(
                f"the model takes {len(names)} columns ({', '.join(names)}); an array of shape "
                f"{array.shape} cannot be matched to them: pass a DataFrame with those columns"
            )
        data = pd.DataFrame(array, columns=names)
    frame = as_frame(data)
    given = [str(c) for c in frame.columns]
    if list(frame.columns) != given:  # non-text names: matched as text, the caller's frame kept
        frame = frame.set_axis(given, axis=1)
    missing = [n for n in names if n not in given]
    extra = [g for g in given if g not in names]
    if missing:
        raise ModelInputError(
            f"missing column(s) {', '.join(map(repr, missing))}: the model takes "
            f"{', '.join(names)}",
            missing[0],
        )
    if extra:
        raise ModelInputError(
            f"unexpected column(s) {', '.join(map(repr, extra))}: the model takes only "
            f"{', '.join(names)}; drop them",
            extra[0],
        )
    ordered = frame if given == names else frame[names]
    differ = [c for c in columns if str(ordered[c["name"]].dtype) != c["type"]]
    if not differ:  # the common case (a server's JSON of floats): nothing to copy
        return ordered
    converted = ordered.copy(deep=False)
    for column in differ:
        converted[column["name"]] = _column(ordered[column["name"]], column)
    return converted


def _column(values: pd.Series, column: dict[str, str]) -> pd.Series:
    """One column converted to its signature dtype when that loses nothing, else an error."""
    name, want = column["name"], column["type"]
    if str(values.dtype) == want:
        return values
    try:
        dtype = pd.api.types.pandas_dtype(want)
    except TypeError:
        return values  # a dtype this pandas does not know: passed through unchanged
    try:
        if pd.api.types.is_bool_dtype(dtype):
            converted = _bools(values, dtype)
        elif pd.api.types.is_numeric_dtype(dtype):
            converted = _numbers(values, dtype)
        elif pd.api.types.is_datetime64_any_dtype(dtype):
            converted = pd.to_datetime(values).astype(dtype)
        elif isinstance(dtype, pd.CategoricalDtype):
            converted = values.astype("category")
        else:
            if pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(
                values.dtype
            ):
                raise TypeError("numbers")
            converted = values.astype(dtype)
    except (TypeError, ValueError) as err:
        raise ModelInputError(
            f"column {name!r} expects {want} values, got {_kind(values)} "
            f"(e.g. {_example(values)!r:.40}){_why(err)}",
            name,
        ) from None
    return converted


def _numbers(values: pd.Series, dtype: Any) -> pd.Series:
    if pd.api.types.is_bool_dtype(values.dtype):
        raise TypeError("booleans are not numbers")
    numeric = values if pd.api.types.is_numeric_dtype(values.dtype) else pd.to_numeric(values)
    nullable = isinstance(dtype, pd.api.extensions.ExtensionDtype)
    if numeric.isna().any() and not nullable and dtype.kind in "iu":
        raise ValueError("missing values in a column that cannot hold them")
    if dtype.kind in "iu":
        present = numeric.dropna()
        if len(present) and not (present.astype(float) % 1 == 0).all():
            raise ValueError("fractions in an integer column")
    return numeric.astype(dtype)


def _bools(values: pd.Series, dtype: Any) -> pd.Series:
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.astype(dtype)
    present = values.dropna()
    if not all(isinstance(v, (bool, np.bool_)) for v in present):
        raise TypeError("not booleans")
    return values.astype(dtype)


def _kind(values: pd.Series) -> str:
    present = values.dropna()
    return type(present.iloc[0]).__name__ if len(present) else str(values.dtype)


def _example(values: pd.Series) -> Any:
    present = values.dropna()
    return present.iloc[0] if len(present) else None


def _why(err: Exception) -> str:
    text = str(err).strip()
    return f": {text}" if text and len(text) < 120 else ""


def _enforce_tensor(data: Any, spec: dict[str, Any]) -> np.ndarray:
    if isinstance(data, (pd.DataFrame, pd.Series)):
        data = data.to_numpy()
    elif isinstance(data, list) and data and isinstance(data[0], dict):
        data = pd.DataFrame.from_records(data).to_numpy()
    try:
        array = np.asarray(data)
    except ValueError as err:
        raise ModelInputError(f"the input is not a rectangular array: {err}") from None
    shape = list(spec.get("shape") or [])
    if shape and array.ndim == len(shape) - 1 and len(shape) > 1:
        array = array.reshape(1, *array.shape)  # one row given on its own
    if shape and (
        array.ndim != len(shape)
        or any(want not in (-1, got) for want, got in zip(shape[1:], array.shape[1:], strict=True))
    ):
        raise ModelInputError(
            f"the model takes arrays of shape {tuple(shape)} (-1: any), got {array.shape}"
        )
    want = np.dtype(spec.get("dtype", array.dtype))
    if array.dtype != want:
        if want.kind in "iuf" and array.dtype.kind not in "iufb":
            raise ModelInputError(f"the model takes {want} numbers, got {array.dtype} values")
        if want.kind in "iu" and array.dtype.kind == "f" and not np.all(np.mod(array, 1) == 0):
            raise ModelInputError(f"the model takes {want} integers, got fractions")
        array = array.astype(want)
    return array
