"""Content fingerprints of DataFrames over every row, with schema, row count and column stats.

MLflow's dataset digest hashes a sample of rows (mlflow#11560), so a change in one value can keep
the digest; this one hashes every value of every row (numeric columns as their bytes, others
with pandas' ``hash_pandas_object``), the index, the column names and dtypes with sha256, so it
changes when any single value, a column name or a dtype does.
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

    Numeric, boolean and datetime columns are hashed as their raw bytes (twice as fast as
    ``hash_pandas_object`` and as complete); other columns through ``hash_pandas_object``
    (their text when pandas cannot hash them: lists, dicts); the index likewise.
    """
    columns = {str(c): str(t) for c, t in frame.dtypes.items()}
    digest = hashlib.sha256(json.dumps(list(columns.items())).encode())
    digest.update(_index_bytes(frame.index))
    for position in range(frame.shape[1]):
        digest.update(_column_bytes(frame.iloc[:, position]))
    return {
        "fingerprint": digest.hexdigest(),
        "rows": len(frame),
        "columns": columns,
        "stats": column_stats(frame),
    }


def _column_bytes(column: Any) -> Any:
    import numpy as np
    import pandas as pd

    if isinstance(column.dtype, np.dtype) and column.dtype.kind in "biufcmM":
        values = np.ascontiguousarray(column.to_numpy())
        return (values.view("int64") if column.dtype.kind in "mM" else values).data
    try:
        return pd.util.hash_pandas_object(column, index=False).to_numpy().tobytes()
    except TypeError:  # unhashable cells
        return pd.util.hash_pandas_object(column.astype(str), index=False).to_numpy().tobytes()


def _index_bytes(index: Any) -> bytes:
    import pandas as pd

    if isinstance(index, pd.RangeIndex):
        return f"range({index.start},{index.stop},{index.step})".encode()
    try:
        return bytes(pd.util.hash_pandas_object(index).to_numpy().tobytes())
    except TypeError:
        return bytes(pd.util.hash_pandas_object(index.astype(str)).to_numpy().tobytes())


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
