"""Drift between two runs: per column of the tables they share by name, Evidently's default
test for the column's kind and size (or the method asked for), plus the schema changes.

The verdicts follow Evidently 0.7's DataDriftPreset: numerical columns get Kolmogorov-Smirnov
(reference of <= 1000 values) or the normed Wasserstein distance, categorical ones chi-square
or a z-test (small reference), else Jensen-Shannon; a table drifts when at least half of its
tested columns do. Text, datetime and empty columns are listed as skipped, not tested.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlops_jupyter.errors import InvalidArgumentError, InvalidBaselineError, NoProfilesError
from mlops_jupyter.monitoring.aliases import (
    MODEL_PREFIX,
    alias_run,
    parse_model_ref,
    registry_run,
)
from mlops_jupyter.monitoring.artifacts import TableProfile, run_profiles
from mlops_jupyter.monitoring.stattests import METHODS, ColumnData, default_method, run_test

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from mlops_jupyter.store import RunStore

DRIFT_SHARE = 0.5  # Evidently's DataDriftPreset(drift_share=0.5)
_TESTED_KINDS = ("numerical", "categorical")
_NUMERICAL_ONLY = ("ks", "wasserstein")
_CATEGORICAL_ONLY = ("chisquare", "z")


def resolve_baseline(store: RunStore, baseline: str) -> str:
    """The full run id a baseline names: a run id or unique prefix (always), or
    ``models:/NAME@ALIAS``: the run behind the registry's alias, else the run holding it as a
    run tag (monitoring/aliases.py).

    Raises:
        InvalidBaselineError: a model reference no run holds.
        RunNotFoundError: no run (or several runs) match the id.
    """
    if baseline.startswith(MODEL_PREFIX):
        name, alias = parse_model_ref(baseline)
        run_id = registry_run(store, name, alias) or alias_run(store, name, alias)
        if run_id is None:
            raise InvalidBaselineError(
                baseline,
                f"no run holds alias {alias!r} of {name!r} yet (`check-metrics ... --promote` "
                "gives it to a run that passes)",
            )
        return run_id
    return store.resolve_run_id(baseline)


def drift_report(
    store: RunStore,
    run_id: str,
    baseline: str,
    method: str | None = None,
    threshold: float | None = None,
) -> dict[str, Any]:
    """The drift of run `run_id` against `baseline` as a JSON-ready document: ``columns``
    (table, column, kind, method, statistic, threshold, drifted), ``schema`` (new, missing and
    retyped columns and tables), ``skipped`` columns with the reason, and per table the share
    of drifted columns and the dataset-drift verdict.

    Raises:
        NoProfilesError: one of the runs holds no profile.
        InvalidArgumentError: an unknown method, or a threshold that is not a positive number.
    """
    _check_options(method, threshold)
    current_id, base_id = store.resolve_run_id(run_id), resolve_baseline(store, baseline)
    current, base = run_profiles(store, current_id), run_profiles(store, base_id)
    for profiles, role, rid in ((current, "current", current_id), (base, "baseline", base_id)):
        if not profiles:
            raise NoProfilesError(rid, role)
    return {
        "run_id": current_id,
        "baseline_run_id": base_id,
        **compare_profiles(base, current, method, threshold),
    }


def compare_profiles(
    base: dict[str, TableProfile],
    current: dict[str, TableProfile],
    method: str | None = None,
    threshold: float | None = None,
) -> dict[str, Any]:
    """The drift document (columns, schema, skipped, tables) between two sets of table
    profiles by name, from runs or from `frame_profile` (see drift_report)."""
    _check_options(method, threshold)
    report: dict[str, list[Any]] = {"columns": [], "schema": [], "skipped": [], "tables": []}
    for name in sorted(set(current) | set(base)):
        if name not in current or name not in base:
            change = "missing table" if name in base else "new table"
            report["schema"].append(_change(name, None, change, None, None))
            continue
        _compare_table(report, name, base[name], current[name], method, threshold)
    return report


def drift(
    run: Any,
    baseline: Any,
    *,
    method: str | None = None,
    threshold: float | None = None,
    store: RunStore | str | None = None,
) -> pd.DataFrame:
    """Per-column drift of `run` against `baseline` as a DataFrame (one row per tested column:
    table, column, kind, method, statistic, threshold, drifted); the schema changes and skipped
    columns are in ``frame.attrs["schema"]`` and ``frame.attrs["skipped"]``.

    Args:
        run: The run to check: a Run, a RunRecord or a run id (prefix).
        baseline: The reference: a run, run id or ``models:/NAME@ALIAS``.
        method: One test for every column it applies to: ks, wasserstein, chisquare, z,
            jensenshannon or psi (default: Evidently's choice per column).
        threshold: The test's threshold (default: the method's own).
        store: A RunStore or URL (default: the run's own store, else the project store).
    """
    import pandas as pd

    opened = store_of(run, store)
    report = drift_report(opened, run_id_of(run), run_id_of(baseline), method, threshold)
    frame = pd.DataFrame(
        report["columns"],
        columns=["table", "column", "kind", "method", "statistic", "threshold", "drifted"],
    )
    frame.attrs.update(schema=report["schema"], skipped=report["skipped"], tables=report["tables"])
    return frame


def _compare_table(
    report: dict[str, Any],
    name: str,
    base: TableProfile,
    current: TableProfile,
    method: str | None,
    threshold: float | None,
) -> None:
    base_cols, cur_cols = base.columns(), current.columns()
    base_samples, cur_samples = base.samples(), current.samples()
    drifted = tested = 0
    for column in [*base_cols, *(c for c in cur_cols if c not in base_cols)]:
        b, c = base_cols.get(column), cur_cols.get(column)
        if b is None or c is None:
            change = "missing" if c is None else "new"
            dtypes = (b["dtype"] if b else None, c["dtype"] if c else None)
            report["schema"].append(_change(name, column, change, *dtypes))
            continue
        if b["dtype"] != c["dtype"]:
            report["schema"].append(_change(name, column, "retyped", b["dtype"], c["dtype"]))
        reason = _untestable(b, c)
        if reason:
            report["skipped"].append({"table": name, "column": column, "reason": reason})
            continue
        entry = _test_column(name, b, c, base_samples, cur_samples, method, threshold)
        report["columns"].append(entry)
        tested += 1
        drifted += entry["drifted"]
    share = drifted / tested if tested else 0.0
    report["tables"].append(
        {
            "table": name,
            "tested": tested,
            "drifted": drifted,
            "share": share,
            "dataset_drift": bool(tested and share >= DRIFT_SHARE),
        }
    )


def _untestable(base: dict[str, Any], current: dict[str, Any]) -> str | None:
    kinds = {base["kind"], current["kind"]}
    if not kinds <= set(_TESTED_KINDS):
        return f"{'/'.join(sorted(kinds))} columns are not tested"
    if len(kinds) > 1 and not all("sample_key" in col for col in (base, current)):
        return f"kind changed: {base['kind']} -> {current['kind']}"
    if not base["count"] - base.get("infinite", 0) or not current["count"] - current.get(
        "infinite", 0
    ):
        return "no values in one of the runs"
    return None


def _test_column(
    table: str,
    base: dict[str, Any],
    current: dict[str, Any],
    base_samples: dict[str, np.ndarray],
    cur_samples: dict[str, np.ndarray],
    method: str | None,
    threshold: float | None,
) -> dict[str, Any]:
    kind = "numerical" if "numerical" in (base["kind"], current["kind"]) else "categorical"
    ref, cur = _data(base, base_samples), _data(current, cur_samples)
    if ref.counts is not None and cur.counts is not None:
        n_values = len(set(ref.counts) | set(cur.counts))
    else:
        n_values = len(ref.counts or ()) + 1000  # a sampled numerical column: many values
    chosen = (
        method
        if method is not None and _applies(method, kind)
        else default_method(kind, ref, n_values)
    )
    limit = threshold if threshold is not None else METHODS[chosen][0]
    statistic, drifted = run_test(chosen, kind, ref, cur, limit)
    return {
        "table": table,
        "column": base["name"],
        "kind": kind,
        "method": chosen,
        "statistic": statistic,
        "threshold": limit,
        "drifted": bool(drifted),
    }


def _data(column: dict[str, Any], samples: dict[str, np.ndarray]) -> ColumnData:
    key = column.get("sample_key")
    return ColumnData(
        count=column["count"] - column.get("infinite", 0),
        counts=column.get("counts"),
        sample=samples.get(key) if key else None,
        std=column.get("std_population"),
    )


def _applies(method: str, kind: str) -> bool:
    if kind == "categorical":
        return method not in _NUMERICAL_ONLY
    return method not in _CATEGORICAL_ONLY


def _change(
    table: str, column: str | None, change: str, baseline: str | None, current: str | None
) -> dict[str, Any]:
    return {
        "table": table,
        "column": column,
        "change": change,
        "baseline": baseline,
        "current": current,
    }


def _check_options(method: str | None, threshold: float | None) -> None:
    if method is not None and method not in METHODS:
        raise InvalidArgumentError(
            f"unknown drift method {method!r}; expected one of {', '.join(METHODS)}"
        )
    if threshold is not None and not threshold > 0:
        raise InvalidArgumentError(f"drift threshold {threshold!r} must be a positive number")


def run_id_of(run: Any) -> str:
    """A run id from a Run, a RunRecord or text; a live Run is flushed first."""
    if isinstance(run, str):
        return run
    flush = getattr(run, "flush", None)
    if callable(flush):
        try:
            flush()
        except Exception:
            pass  # the store is away: what it holds is still readable below
    return str(run.run_id)


def store_of(run: Any, store: RunStore | str | None) -> RunStore:
    from mlops_jupyter.store import RunStore, open_store

    if isinstance(store, RunStore):
        return store
    if store is None and isinstance(getattr(run, "store", None), RunStore):
        return run.store
    return open_store(store)
