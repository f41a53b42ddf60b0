"""Evidently's DataDriftPreset verdicts per column, to cross-check ours (test-only dependency).

Evidently 0.7 still imports `pandas.core.dtypes.common.infer_dtype_from_object`, which pandas 3
removed; `load_evidently` puts that one helper back (as pandas 2 defined it) before importing.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

METHOD_NAMES = {
    "K-S p_value": "ks",
    "Wasserstein distance (normed)": "wasserstein",
    "chi-square p_value": "chisquare",
    "Z-test p_value": "z",
    "Jensen-Shannon distance": "jensenshannon",
    "PSI": "psi",
}
P_VALUE_METHODS = {"ks", "chisquare", "z"}


def load_evidently() -> Any:
    """The evidently package, importable under pandas 3."""
    import pandas.core.dtypes.common as common

    if not hasattr(common, "infer_dtype_from_object"):
        common.infer_dtype_from_object = lambda dtype: pd.api.types.pandas_dtype(dtype).type
    import evidently

    return evidently


def evidently_verdicts(
    reference: pd.DataFrame, current: pd.DataFrame
) -> dict[str, tuple[str, float, bool]]:
    """column -> (method, statistic, drifted) from Evidently's DataDriftPreset at its defaults."""
    load_evidently()
    from evidently import Report
    from evidently.presets import DataDriftPreset

    snapshot = Report([DataDriftPreset()]).run(current_data=current, reference_data=reference)
    out = {}
    for metric in snapshot.dict()["metrics"]:
        config = metric["config"]
        if not config["type"].endswith(":ValueDrift"):
            continue
        method = METHOD_NAMES[config["method"]]
        value, threshold = float(metric["value"]), float(config["threshold"])
        if method == "ks":
            drifted = value <= threshold
        elif method in P_VALUE_METHODS:
            drifted = value < threshold
        else:
            drifted = value >= threshold
        out[config["column"]] = (method, value, drifted)
    return out


def drifted_count(reference: pd.DataFrame, current: pd.DataFrame) -> int:
    """How many columns Evidently flags."""
    return sum(drifted for _, _, drifted in evidently_verdicts(reference, current).values())


__all__ = ["drifted_count", "evidently_verdicts", "load_evidently"]
