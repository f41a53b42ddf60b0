"""A fast per-column profile of a DataFrame, and the bounded sample the drift tests read.

What a profile keeps, for every column: its dtype and kind (Evidently's inference: float is
numerical; int is categorical up to 10 distinct values, else numerical; strings are categorical
unless more than half the values are distinct, then text; bool and category are categorical),
count, nulls, and by kind min/max/mean/std and quantiles, or the top-10 categories. For the
drift tests it keeps, computed over *all* rows: the exact category counts (up to
`MAX_CATEGORIES`, the rest summed as one "other" count) of categorical and low-cardinality
numeric columns, and a uniform random sample of at most `SAMPLE_ROWS` rows of every numeric
column (all rows when the frame is smaller), stored sorted beside the profile as float64
arrays in an ``.npz`` (no pickles). Small tables are therefore kept whole and tested exactly;
larger ones are tested on the sample, whose error on the normed Wasserstein distance is about
0.02.
"""

from __future__ import annotations

import io
import math
import time
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

PROFILE_FORMAT = "mlops-jupyter.profile/1"
SAMPLE_ROWS = 5_000
MAX_CATEGORIES = 1_000
TOP_CATEGORIES = 10
LOW_CARDINALITY = 20  # numeric columns with at most this many values also keep exact counts
INTEGER_CARDINALITY_LIMIT = 10  # Evidently: an int column with <= 10 values is categorical
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
OTHER = "__other__"

NUMERICAL, CATEGORICAL, TEXT, DATETIME, UNKNOWN = (
    "numerical",
    "categorical",
    "text",
    "datetime",
    "unknown",
)


def column_kind(series: pd.Series) -> str:
    """The column type Evidently 0.7 infers (`evidently.core.datasets.infer_column_type`), so
    that the same column gets the same default drift test here and there."""
    name = series.dtype.name
    if name.startswith(("float", "Float")):
        return NUMERICAL
    if name.startswith(("int", "uint", "Int", "UInt")):
        return CATEGORICAL if series.nunique() <= INTEGER_CARDINALITY_LIMIT else NUMERICAL
    if name in ("bool", "boolean", "category"):
        return CATEGORICAL
    if name.startswith("datetime"):
        return DATETIME
    if name in ("string", "str", "object"):
        values = series.dropna()
        if values.empty:
            return UNKNOWN
        if name == "object" and not (
            isinstance(values.iloc[0], str) and isinstance(values.iloc[-1], str)
        ):
            return UNKNOWN
        return TEXT if series.nunique() > len(values) * 0.5 else CATEGORICAL
    return UNKNOWN


def profile_frame(frame: pd.DataFrame, name: str) -> tuple[dict[str, Any], bytes]:
    """The profile document of `frame` and the bytes of its numerical sample (``.npz``).

    One pass per column over NumPy arrays; the rows of the sample are drawn once (seed 0) and
    shared by all columns, so a frame profiled twice gives the same bytes.
    """
    started = time.perf_counter()
    rows = len(frame)
    picked = _sample_rows(rows)
    columns, arrays = [], {}
    for index, (label, series) in enumerate(frame.items()):
        column, sample = _profile_column(str(label), series, picked)
        if sample is not None:
            column["sample_key"] = f"c{index}"
            arrays[f"c{index}"] = sample
        columns.append(column)
    buffer = io.BytesIO()
    save: Any = np.savez  # keyword arrays: NumPy's stubs type **kwds as its own options
    save(buffer, **arrays)
    doc = {
        "format": PROFILE_FORMAT,
        "name": name,
        "rows": rows,
        "sample_rows": len(picked) if picked is not None else rows,
        "columns": columns,
        "seconds": round(time.perf_counter() - started, 4),
    }
    return doc, buffer.getvalue()


def frame_schema(frame: pd.DataFrame) -> list[dict[str, str]]:
    """Column names and dtypes: what a schema check compares."""
    return [{"name": str(c), "dtype": str(t)} for c, t in frame.dtypes.items()]


def load_sample(data: bytes) -> dict[str, np.ndarray]:
    """The arrays of a stored sample, by ``sample_key`` (read without unpickling)."""
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        return {key: npz[key] for key in npz.files}


def _sample_rows(rows: int) -> np.ndarray | None:
    """Sorted row positions of the sample, or None when every row is kept."""
    if rows <= SAMPLE_ROWS:
        return None
    picked = np.random.default_rng(0).choice(rows, SAMPLE_ROWS, replace=False)
    picked.sort()
    return picked


def _profile_column(
    label: str, series: pd.Series, picked: np.ndarray | None
) -> tuple[dict[str, Any], np.ndarray | None]:
    kind = column_kind(series)
    nulls = int(series.isna().sum())
    column: dict[str, Any] = {
        "name": label,
        "dtype": str(series.dtype),
        "kind": kind,
        "count": len(series) - nulls,
        "nulls": nulls,
    }
    if kind == NUMERICAL or (kind == CATEGORICAL and series.dtype.kind in "iuf"):
        column, sample = _numerical(column, series, picked)
        if kind == CATEGORICAL and "counts" not in column:
            column.update(_counts(series))
        return column, sample
    if kind == CATEGORICAL:
        column.update(_counts(series))
    elif kind == DATETIME and column["count"]:
        column["min"], column["max"] = str(series.min()), str(series.max())
    elif kind == TEXT:
        column["distinct"] = int(series.nunique())
    return column, None


def _numerical(
    column: dict[str, Any], series: pd.Series, picked: np.ndarray | None
) -> tuple[dict[str, Any], np.ndarray]:
    values = series.to_numpy(dtype="float64", na_value=np.nan)
    finite = values[np.isfinite(values)] if column["nulls"] or _has_inf(values) else values
    column["infinite"] = int(len(values) - column["nulls"] - len(finite))
    if len(finite):
        column.update(
            min=float(finite.min()),
            max=float(finite.max()),
            mean=float(finite.mean()),
            std=float(finite.std(ddof=1)) if len(finite) > 1 else 0.0,
            std_population=float(finite.std()),
            quantiles=dict(zip(map(str, QUANTILES), map(float, np.quantile(finite, QUANTILES)))),
        )
    sample = values if picked is None else values[picked]
    sample = np.sort(sample[np.isfinite(sample)])  # sorted: every test is order-free
    if len(sample) and 1 + np.count_nonzero(np.diff(sample)) <= LOW_CARDINALITY:
        column.update(_counts(series.replace([np.inf, -np.inf], np.nan)))
    return column, sample


def _has_inf(values: np.ndarray) -> bool:
    total = float(values.sum())  # one pass: a sum is finite unless some value is not
    return not math.isfinite(total) and bool(np.isinf(values).any())


def _counts(series: pd.Series) -> dict[str, Any]:
    """Exact counts of each value (keys as text), the top ones, and the distinct count."""
    counts = series.value_counts(dropna=True, sort=True)
    keys = [_key(k) for k in counts.index[:MAX_CATEGORIES]]
    kept = dict(zip(keys, map(int, counts.to_numpy()[:MAX_CATEGORIES])))
    rest = int(counts.to_numpy()[MAX_CATEGORIES:].sum())
    if rest:
        kept[OTHER] = kept.get(OTHER, 0) + rest
    top = [[k, v] for k, v in list(kept.items())[:TOP_CATEGORIES] if k != OTHER]
    return {"distinct": len(counts), "top": top, "counts": kept}


def _key(value: Any) -> str:
    """A category as text; 1, 1.0 and True stay distinguishable from "1" only by dtype."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
