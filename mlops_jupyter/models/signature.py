"""A model's signature: the columns and dtypes (or tensor shape) of its input, and of its output.

Inferred from the input example as MLflow does, with pandas dtypes kept as pandas names, so a
nullable ``Int64``, ``boolean`` or ``string`` column is recorded as such and enforced as such.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def example_frame(example: Any) -> pd.DataFrame | np.ndarray:
    """The input example as a DataFrame (records, dicts, Series) or an ndarray (lists)."""
    if isinstance(example, (pd.DataFrame, np.ndarray)):
        return example
    if isinstance(example, pd.Series):
        return example.to_frame()
    if isinstance(example, dict):
        return pd.DataFrame({k: v if isinstance(v, list) else [v] for k, v in example.items()})
    if isinstance(example, list) and example and isinstance(example[0], dict):
        return pd.DataFrame.from_records(example)
    return np.asarray(example)


def _spec_of(value: Any) -> dict[str, Any]:
    """The schema of one value: columns for a DataFrame, dtype and shape for anything else."""
    if isinstance(value, pd.DataFrame):
        return {
            "type": "dataframe",
            "columns": [{"name": str(c), "type": str(value[c].dtype)} for c in value.columns],
        }
    if isinstance(value, pd.Series):
        return {"type": "tensor", "dtype": str(value.dtype), "shape": [-1]}
    array = np.asarray(value)
    return {"type": "tensor", "dtype": str(array.dtype), "shape": [-1, *array.shape[1:]]}


def infer_signature(example: Any, output: Any = None) -> dict[str, Any]:
    """The signature of an input example (and of the model's output on it, when given)."""
    signature: dict[str, Any] = {"inputs": _spec_of(example_frame(example))}
    if output is not None:
        signature["outputs"] = _spec_of(output)
    return signature


def example_json(example: Any) -> dict[str, Any]:
    """The input example in the scoring protocol's JSON (``dataframe_split`` or ``inputs``),
    so `models serve` can show a request that works."""
    frame = example_frame(example)
    if isinstance(frame, pd.DataFrame):
        head = frame.head(5)
        data = head.astype(object).where(head.notna(), None).to_numpy().tolist()
        return {"dataframe_split": {"columns": [str(c) for c in head.columns], "data": data}}
    return {"inputs": np.asarray(frame)[:5].tolist()}


def describe(signature: dict[str, Any] | None) -> str:
    """One line of text for listings: ``x: int64, y: Int64 -> int64``."""
    if not signature:
        return "(no signature)"

    def side(spec: dict[str, Any] | None) -> str:
        if not spec:
            return "?"
        if spec.get("type") == "dataframe":
            return ", ".join(f"{c['name']}: {c['type']}" for c in spec["columns"])
        return f"{spec.get('dtype')}{list(spec.get('shape') or [])}"

    return f"{side(signature.get('inputs'))} -> {side(signature.get('outputs'))}"
