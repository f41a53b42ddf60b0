"""MLflow's scoring protocol, without the server: request bodies to model input, predictions to
the ``{"predictions": [...]}`` answer, and errors to ``{"error_code", "message"}``.

The JSON keys are MLflow's: ``dataframe_split``, ``dataframe_records``, ``instances``,
``inputs``; a ``text/csv`` body is read as a table with a header row.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from mlops_jupyter.errors import ModelInputError

_fast_loads: Callable[[bytes], Any] | None
try:  # the `models` extra's fast JSON reader (about 8x json's speed on a table of numbers)
    import orjson

    _fast_loads = orjson.loads
except ImportError:  # pragma: no cover - without the extra, the standard library's reader
    _fast_loads = None

FORMATS = ("dataframe_split", "dataframe_records", "instances", "inputs")


def parse_request(
    body: bytes, content_type: str | None, fast: Callable[[str, Any], Any] | None = None
) -> Any:
    """The model input a request carries (ModelInputError, naming the fix, when it is bad).

    `fast` (the server's compiled plan) gets the first try at a JSON body without booleans; its
    None means "not mine" and the body is decoded the general way."""
    kind = (content_type or "application/json").split(";")[0].strip().lower()
    if kind == "text/csv":
        try:
            return pd.read_csv(io.BytesIO(body))
        except (ValueError, pd.errors.ParserError) as err:
            raise ModelInputError(f"the CSV body cannot be read: {err}") from None
    if kind != "application/json":
        raise ModelInputError(
            f"content type {kind!r} is not supported: send application/json or text/csv"
        )
    payload = _read_json(body)
    if not isinstance(payload, dict):
        raise ModelInputError(_needs_one_key("the JSON body is not an object"))
    keys = [k for k in FORMATS if k in payload]
    if len(keys) != 1:
        found = ", ".join(sorted(payload)) or "none"
        raise ModelInputError(_needs_one_key(f"it has {len(keys)} of them (keys: {found})"))
    if fast is not None and b"true" not in body and b"false" not in body:
        checked = fast(keys[0], payload[keys[0]])
        if checked is not None:
            return checked
    return _decode(keys[0], payload[keys[0]])


def _read_json(body: bytes) -> Any:
    """The body's JSON: orjson first when installed; json (which also reads MLflow clients'
    NaN and Infinity, and integers beyond 64 bits) for whatever orjson refuses."""
    if _fast_loads is not None:
        try:
            return _fast_loads(body or b"null")
        except ValueError:  # orjson.JSONDecodeError: let json read it, or name the problem
            pass
    try:
        return json.loads(body or b"null")
    except ValueError as err:
        raise ModelInputError(f"the body is not valid JSON: {err}") from None


def _needs_one_key(problem: str) -> str:
    return f"{problem}; a request needs exactly one of {', '.join(FORMATS)}"


def _decode(key: str, value: Any) -> Any:
    if key == "dataframe_split":
        if not isinstance(value, dict) or "data" not in value:
            raise ModelInputError('dataframe_split needs {"columns": [...], "data": [[...], ...]}')
        try:
            return pd.DataFrame(
                value["data"], columns=value.get("columns"), index=value.get("index")
            )
        except (ValueError, TypeError) as err:
            raise ModelInputError(f"dataframe_split does not make a table: {err}") from None
    if key == "dataframe_records":
        if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
            raise ModelInputError('dataframe_records needs a list of objects: [{"col": 1}, ...]')
        return pd.DataFrame.from_records(value)
    if isinstance(value, dict):  # named columns (tensor inputs by name, as MLflow takes them)
        try:
            return pd.DataFrame({k: v if isinstance(v, list) else [v] for k, v in value.items()})
        except ValueError as err:
            raise ModelInputError(f"{key}: the columns have different lengths: {err}") from None
    if isinstance(value, list) and value and all(isinstance(r, dict) for r in value):
        return pd.DataFrame.from_records(value)
    if not isinstance(value, list):
        raise ModelInputError(f"{key} needs a list (rows) or an object of columns")
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, (np.generic,)):
        return _plain(value.item())
    return value


def predictions_json(predictions: Any) -> bytes:
    """``{"predictions": [...]}`` for any model output (arrays, Series, DataFrames, lists)."""
    if isinstance(predictions, pd.DataFrame):
        frame = predictions.astype(object).where(predictions.notna(), None)
        out: Any = frame.to_dict(orient="records")
    elif isinstance(predictions, (pd.Series, pd.Index)):
        out = [None if pd.isna(v) else v for v in predictions.tolist()]
    elif isinstance(predictions, np.ndarray):
        out = predictions.tolist()
    else:
        out = predictions
    try:
        return json.dumps({"predictions": out}, default=_plain, allow_nan=False).encode()
    except ValueError:  # NaN or infinity somewhere: JSON has null for them
        return json.dumps({"predictions": _nan_to_none(out)}, default=_plain).encode()


def _nan_to_none(out: Any) -> Any:
    if isinstance(out, list):
        return [_nan_to_none(v) for v in out]
    if isinstance(out, dict):
        return {k: _nan_to_none(v) for k, v in out.items()}
    return _plain(out)


def error_json(message: str, column: str | None = None, code: str = "BAD_REQUEST") -> bytes:
    """MLflow's error body (``error_code``, ``message``), plus the offending ``column``."""
    body: dict[str, Any] = {"error_code": code, "message": message}
    if column is not None:
        body["column"] = column
    return json.dumps(body).encode()
