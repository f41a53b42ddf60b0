"""The drift tests, as Evidently 0.7 defines them (``evidently.legacy.calculations.stattests``),
computed with SciPy on a profile's counts and samples instead of the raw columns.

Each test returns (statistic, drifted). p-value tests (ks, chisquare, z) flag drift at p below
the threshold (ks: at or below), distances (wasserstein, jensenshannon, psi) at or above it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from mlops_jupyter.errors import MissingExtraError


@dataclass(frozen=True)
class ColumnData:
    """What one run holds of one column for the tests: its non-null finite count, its exact
    value counts (categorical and low-cardinality numeric columns), its sample (numerical),
    and its population std over all rows (the Wasserstein norm)."""

    count: int
    counts: dict[str, int] | None
    sample: np.ndarray | None  # sorted
    std: float | None


# method -> (default threshold, what the statistic is); Evidently's StatTest defaults
METHODS = {
    "ks": (0.05, "p_value"),
    "wasserstein": (0.1, "distance"),
    "chisquare": (0.05, "p_value"),
    "z": (0.05, "p_value"),
    "jensenshannon": (0.1, "distance"),
    "psi": (0.1, "distance"),
}
SMALL_REFERENCE = 1000  # Evidently: reference of <= 1000 rows gets the p-value tests


def default_method(kind: str, reference: ColumnData, n_values: int) -> str:
    """Evidently's `_get_default_stattest`: by reference size, column kind and the number of
    distinct values in both runs together."""
    if reference.count <= SMALL_REFERENCE:
        if kind == "numerical" and n_values > 5:
            return "ks"
        return "chisquare" if n_values > 2 else "z"
    if kind == "numerical" and n_values > 5:
        return "wasserstein"
    return "jensenshannon"


def run_test(
    method: str, kind: str, reference: ColumnData, current: ColumnData, threshold: float
) -> tuple[float, bool]:
    """The statistic of `method` between the two columns and whether it means drift."""
    tests: dict[str, Callable[[str, ColumnData, ColumnData, float], tuple[float, bool]]] = {
        "ks": _ks,
        "wasserstein": _wasserstein,
        "chisquare": _chisquare,
        "z": _z,
        "jensenshannon": _jensenshannon,
        "psi": _psi,
    }
    return tests[method](kind, reference, current, threshold)


def _scipy() -> tuple[Any, Any]:
    try:
        from scipy import spatial, stats
    except ImportError as err:
        raise MissingExtraError("drift tests", "scipy", "monitoring") from err
    return stats, spatial


def _ks(kind: str, ref: ColumnData, cur: ColumnData, threshold: float) -> tuple[float, bool]:
    stats, _ = _scipy()
    p_value = float(stats.ks_2samp(ref.sample, cur.sample)[1])
    return p_value, p_value <= threshold


def _wasserstein(
    kind: str, ref: ColumnData, cur: ColumnData, threshold: float
) -> tuple[float, bool]:
    stats, _ = _scipy()
    assert ref.sample is not None and cur.sample is not None
    norm = max(float(ref.std if ref.std is not None else np.std(ref.sample)), 0.001)
    if len(ref.sample) == len(cur.sample):  # W1 of equal-size samples: mean gap of sorted values
        distance = float(np.mean(np.abs(ref.sample - cur.sample))) / norm
    else:
        distance = float(stats.wasserstein_distance(ref.sample, cur.sample)) / norm
    return distance, distance >= threshold


def _keyed(ref: ColumnData, cur: ColumnData) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The two columns' counts over the union of their values."""
    ref_counts, cur_counts = ref.counts or {}, cur.counts or {}
    keys = sorted(set(ref_counts) | set(cur_counts))
    return (
        np.array([ref_counts.get(k, 0) for k in keys], dtype="float64"),
        np.array([cur_counts.get(k, 0) for k in keys], dtype="float64"),
        keys,
    )


def _chisquare(kind: str, ref: ColumnData, cur: ColumnData, threshold: float) -> tuple[float, bool]:
    stats, _ = _scipy()
    ref_counts, cur_counts, _keys = _keyed(ref, cur)
    expected = ref_counts * (cur_counts.sum() / ref_counts.sum())
    p_value = float(stats.chisquare(cur_counts, expected)[1])
    return p_value, p_value < threshold


def _z(kind: str, ref: ColumnData, cur: ColumnData, threshold: float) -> tuple[float, bool]:
    """Two-proportion z-test on 'not the first value' (Evidently's binary-column test)."""
    stats, _ = _scipy()
    ref_counts, cur_counts, keys = _keyed(ref, cur)
    if len(keys) == 1:
        return 1.0, False
    n1, n2 = ref_counts.sum(), cur_counts.sum()
    p1, p2 = 1 - ref_counts[0] / n1, 1 - cur_counts[0] / n2
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (p1 - p2) / np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    p_value = float(2 * (1 - stats.norm.cdf(abs(z))))
    return p_value, p_value < threshold


def _binned(kind: str, ref: ColumnData, cur: ColumnData) -> tuple[np.ndarray, np.ndarray]:
    """Evidently's `get_binned_data`: Sturges bins over both samples for numerical columns of
    more than 20 values, else the share of each value."""
    if kind == "numerical" and ref.counts is None:
        assert ref.sample is not None and cur.sample is not None
        bins = np.histogram_bin_edges(np.concatenate([ref.sample, cur.sample]), bins="sturges")
        return (
            np.histogram(ref.sample, bins)[0] / len(ref.sample),
            np.histogram(cur.sample, bins)[0] / len(cur.sample),
        )
    ref_counts, cur_counts, _keys = _keyed(ref, cur)
    return ref_counts / ref_counts.sum(), cur_counts / cur_counts.sum()


def _jensenshannon(
    kind: str, ref: ColumnData, cur: ColumnData, threshold: float
) -> tuple[float, bool]:
    _, spatial = _scipy()
    ref_share, cur_share = _binned(kind, ref, cur)
    value = float(spatial.distance.jensenshannon(ref_share, cur_share))
    return value, value >= threshold


def _psi(kind: str, ref: ColumnData, cur: ColumnData, threshold: float) -> tuple[float, bool]:
    ref_share, cur_share = (_fill_zeroes(s) for s in _binned(kind, ref, cur))
    value = float(np.sum((ref_share - cur_share) * np.log(ref_share / cur_share)))
    return value, value >= threshold


def _fill_zeroes(shares: np.ndarray) -> np.ndarray:
    """Evidently's zero filling: empty bins get 0.0001 (or a millionth of the smallest share)."""
    smallest = shares[shares != 0].min()
    filled = shares.copy()
    filled[filled == 0] = smallest / 10**6 if smallest <= 0.0001 else 0.0001
    return filled
