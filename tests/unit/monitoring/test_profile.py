"""A run's tables get a data profile: statistics a user can read, stored beside the table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import mlops_jupyter as mj
from mlops_jupyter.monitoring.artifacts import run_profiles
from mlops_jupyter.monitoring.profile import SAMPLE_ROWS, profile_frame
from mlops_jupyter.store import open_store


def _mixed(rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "x": rng.normal(10, 2, rows),
            "n": rng.integers(0, 1000, rows),
            "level": rng.integers(0, 3, rows),
            "city": rng.choice([f"c{i}" for i in range(15)], rows),
            "ok": rng.choice([True, False], rows),
            "note": [f"free text {i}" for i in range(rows)],
            "when": pd.date_range("2026-01-01", periods=rows, freq="min"),
        }
    )
    frame.loc[::10, "x"] = np.nan
    return frame


def test_the_profile_has_counts_nulls_stats_quantiles_top_categories_and_schema() -> None:
    frame = _mixed(2_000)
    doc, _sample = profile_frame(frame, "train")
    cols = {c["name"]: c for c in doc["columns"]}
    assert doc["rows"] == 2_000
    assert [(c["name"], c["dtype"]) for c in doc["columns"]] == [
        (str(k), str(v)) for k, v in frame.dtypes.items()
    ]
    x = cols["x"]
    assert (x["kind"], x["count"], x["nulls"]) == ("numerical", 1_800, 200)
    assert x["mean"] == pytest.approx(frame["x"].mean())
    assert x["std"] == pytest.approx(frame["x"].std())
    assert (x["min"], x["max"]) == (frame["x"].min(), frame["x"].max())
    assert x["quantiles"]["0.5"] == pytest.approx(frame["x"].median())
    assert cols["n"]["kind"] == "numerical" and cols["level"]["kind"] == "categorical"
    city = cols["city"]
    assert city["kind"] == "categorical" and city["distinct"] == 15
    top = frame["city"].value_counts().head(10)
    assert city["top"] == [[k, int(v)] for k, v in top.items()]
    assert sum(city["counts"].values()) == 2_000
    assert cols["ok"]["kind"] == "categorical"
    assert cols["note"]["kind"] == "text"
    assert cols["when"]["kind"] == "datetime" and cols["when"]["min"].startswith("2026-01-01")


def test_log_table_stores_the_profile_and_a_bounded_sample(store_url: str) -> None:
    big = pd.DataFrame({"a": np.arange(20_000, dtype=float), "b": np.ones(20_000)})
    with mj.start_run("profiled", store=store_url) as run:
        run.log_table(big, "big")
        run.log_table(pd.DataFrame({"a": [1.0, 2.0]}), "small")
    store = open_store(store_url)
    names = {a.name for a in store.get_run(run.run_id).artifacts}
    assert {"big.profile.json", "big.sample.npz", "small.profile.json"} <= names
    profiles = run_profiles(store, run.run_id)
    assert profiles["big"].doc["rows"] == 20_000
    assert profiles["big"].doc["sample_rows"] == SAMPLE_ROWS
    samples = profiles["big"].samples()
    a_key = profiles["big"].columns()["a"]["sample_key"]
    assert len(samples[a_key]) == SAMPLE_ROWS
    assert profiles["big"].columns()["b"]["counts"] == {"1": 20_000}
    small = profiles["small"].samples()
    assert sorted(small[profiles["small"].columns()["a"]["sample_key"]]) == [1.0, 2.0]


def test_a_column_of_objects_is_profiled_as_unknown_and_not_tested(store_url: str) -> None:
    weird = pd.DataFrame({"v": [object(), object()], "x": [1.0, 2.0]})
    with mj.start_run("weird", store=store_url) as run:
        run.log_table(weird, "weird")
    profile = run_profiles(open_store(store_url), run.run_id)["weird"]
    assert profile.columns()["v"]["kind"] == "unknown"
    assert profile.columns()["x"]["kind"] == "numerical"


def test_a_failing_profile_is_one_warning_and_the_table_is_still_logged(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The profiler is made to fail (monkeypatched): no real frame makes it raise."""
    import mlops_jupyter.monitoring.artifacts as artifacts

    def broken(frame: pd.DataFrame, name: str) -> None:
        raise RuntimeError("profiler exploded")

    monkeypatch.setattr(artifacts, "profile_frame", broken)
    expected = "no data profile for table 't'.*profiler exploded"
    with mj.start_run("broken", store=store_url) as run, pytest.warns(UserWarning, match=expected):
        sha = run.log_table(pd.DataFrame({"a": [1]}), "t")
    record = open_store(store_url).get_run(run.run_id)
    assert record.artifact("t.table.json").sha256 == sha
    assert record.artifact("t.profile.json") is None
