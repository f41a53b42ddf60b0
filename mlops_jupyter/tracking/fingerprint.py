"""Content fingerprints of DataFrames over every row, with schema, row count and column stats.

MLflow's dataset digest hashes a sample of rows (mlflow#11560), so a change in one value can keep
the digest; this one hashes every row with pandas' ``hash_pandas_object`` (values and index),
then the row hashes, column names and dtypes together with sha256, so it changes when any
single value, a column name or a dtype does.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

#: Per-column statistics are kept for at most this many columns.
STATS_COLUMNS = 50


def is_dataframe(value: Any) -> bool:
    """A pandas DataFrame (checked without importing pandas)."""
    cls = type(value)
    return cls.__name__ == "DataFrame" and cls.__module__.startswith("pandas")


def fingerprint_if_frame(value: Any) -> dict[str, Any] | None:
    """`frame_fingerprint` for a pandas DataFrame, None for anything else."""
    return frame_fingerprint(value) if is_dataframe(value) else None


def frame_fingerprint(frame: Any) -> dict[str, Any]:
    """The fingerprint of a DataFrame: ``{"fingerprint", "rows", "columns", "stats"}``.

    Columns pandas cannot hash (lists, dicts) are hashed through their text.
    """
    import pandas as pd

    try:
        rows = pd.util.hash_pandas_object(frame, index=True).to_numpy()
    except TypeError:  # unhashable cells
        rows = pd.util.hash_pandas_object(frame.astype(str), index=True).to_numpy()
    columns = {str(c): str(t) for c, t in frame.dtypes.items()}
    digest = hashlib.sha256(json.dumps(list(columns.items())).encode())
    digest.update(rows.tobytes())
    return {
        "fingerprint": digest.hexdigest(),
        "rows": len(frame),
        "columns": columns,
        "stats": column_stats(frame),
    }


def column_stats(frame: Any) -> dict[str, dict[str, Any]]:
    """Null count per column, and min, max and mean of numeric ones (first columns only)."""
    import numpy as np

    stats: dict[str, dict[str, Any]] = {}
    for name in list(frame.columns)[:STATS_COLUMNS]:
        column = frame[name]
        if not hasattr(column, "isna"):  # duplicate column names give a frame
            continue
        entry: dict[str, Any] = {"nulls": int(column.isna().sum())}
        kind = column.dtype.kind if isinstance(column.dtype, np.dtype) else ""
        if kind in "iuf" and kind:
            values = column.to_numpy(dtype="float64", na_value=np.nan)
            if np.isfinite(values).any():
                entry.update(
                    min=float(np.nanmin(values)),
                    max=float(np.nanmax(values)),
                    mean=float(np.nanmean(values)),
                )
        stats[str(name)] = entry
    return stats
