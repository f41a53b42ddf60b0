"""The filter language's MLflow spellings, date comparisons and "did you mean" suggestions."""

from __future__ import annotations

import datetime as dt

import pytest

from mlops_jupyter.errors import InvalidFilterError
from mlops_jupyter.store import RunStore
from mlops_jupyter.store.filter_keys import unknown_key_error
from mlops_jupyter.store.filter_syntax import normalize


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> RunStore:
    store = RunStore(str(tmp_path_factory.mktemp("mlflow-filters") / "runs.db"))
    for name, alpha, acc in (("sgd-a", 0.01, 0.9), ("sgd-b", 0.0001, 0.95), ("rf", 0.01, 0.8)):
        run_id = store.create_run(name=name, experiment="e", params={"alpha": alpha})
        store.log_metrics([(run_id, "test_accuracy", 0, acc, 1.0), (run_id, "val/loss", 0, 1, 1.0)])
        store.set_tags(run_id, {"stage": "prod" if name == "rf" else "dev"})
        store.end_run(run_id, "finished")
    return store


def names(store: RunStore, expression: str) -> set[str]:
    return {r.name for r in store.search_runs(filter=expression)}


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("params.alpha = 0.01", {"sgd-a", "rf"}),
        ("params.alpha = 0.01 AND metrics.test_accuracy > 0.85", {"sgd-a"}),
        ("name LIKE 'sgd%'", {"sgd-a", "sgd-b"}),
        ("name LIKE 'sgd-_'", {"sgd-a", "sgd-b"}),
        ("tags.stage ILIKE 'PROD' OR status = 'failed'", {"rf"}),
        ("metrics.`val/loss` = 1 AND NOT name LIKE 'rf'", {"sgd-a", "sgd-b"}),
        ("status IN ('finished') AND params.alpha IS NOT NULL", {"sgd-a", "sgd-b", "rf"}),
        ("name == 'a = b'", set()),  # '=' inside a string stays as it is
    ],
)
def test_mlflow_spellings(store, expression, expected) -> None:
    assert names(store, expression) == expected


def test_dates_compare_with_start_time(store) -> None:
    today = dt.date.today()
    tomorrow = (today + dt.timedelta(days=1)).isoformat()
    assert names(store, f"start_time > '{today.isoformat()}'") == {"sgd-a", "sgd-b", "rf"}
    assert names(store, f"start_time > '{tomorrow}'") == set()
    assert names(store, f"end_time < '{tomorrow} 00:00'") == {"sgd-a", "sgd-b", "rf"}
    with pytest.raises(InvalidFilterError, match="compares with a date such as '2026-12-01'"):
        store.search_runs(filter="start_time > 'yesterday'")


def test_normalize_leaves_python_syntax_alone() -> None:
    for text in ("metrics.acc >= 0.9 and params.m == 'x'", "a != 1", "metrics.a >>> 2"):
        assert normalize(text) == text


def test_unknown_keys_get_suggestions(store) -> None:
    keys = store.known_keys()
    assert keys["metrics"] == ["test_accuracy", "val/loss"]
    assert keys["experiments"] == ["e"]
    known = {f: set(keys[f]) for f in ("params", "metrics", "tags")}
    err = unknown_key_error("metrics.test_acuracy > 0.9", known)
    assert err is not None
    assert "unknown metric 'test_acuracy'; did you mean 'test_accuracy'?" in str(err)
    err = unknown_key_error("alpha == 0.01", known)
    assert err is not None and "did you mean 'params.alpha'?" in str(err)
    err = unknown_key_error("params.alpah = 1", known)
    assert err is not None and "unknown param 'alpah'; did you mean 'alpha'?" in str(err)
    assert unknown_key_error("metrics.test_accuracy > 0.9 and name LIKE 'x%'", known) is None
    assert unknown_key_error("statsu == 'failed'", known) is not None
