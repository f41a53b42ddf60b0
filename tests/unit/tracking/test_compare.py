"""The one comparison rule: which values differ, and how they are shown (no store needed)."""

from __future__ import annotations

import math

import pytest

from mlops_jupyter.store.records import RunRecord
from mlops_jupyter.tracking.compare import compare_runs


def record(run_id: str, params: dict, metrics: dict | None = None, **fields) -> RunRecord:
    base = {
        "run_id": run_id,
        "name": "train",
        "experiment": "Default",
        "status": "finished",
        "start_time": 0.0,
        "end_time": 1.0,
        "parent_run_id": None,
        "source_notebook": None,
        "cell_id": None,
        "pid": None,
        "host": None,
        "heartbeat": None,
        "updated_at": 1.0,
        "error": None,
        "params": params,
        "metrics": metrics or {},
        "tags": {},
    }
    base.update(fields)
    return RunRecord(**base)


@pytest.mark.parametrize(
    "a, b, differs, texts",
    [
        (0.1, 0.1000001, True, ("0.1", "0.1000001")),  # 6g would show 0.1 twice: repr instead
        (0.1, 0.2, True, ("0.1", "0.2")),
        (0.1, 0.1, False, ("0.1", "0.1")),
        (1, 1.0, True, ("1", "1.0")),  # int and float are different values
        (None, None, False, ("-", "-")),
        (float("nan"), float("nan"), False, ("-", "-")),
        ("rf", "svm", True, ("rf", "svm")),
        ([1, 2], [1, 2], False, ("[1, 2]", "[1, 2]")),
        (True, 1, True, ("True", "1")),
    ],
)
def test_param_verdict_and_texts(a, b, differs, texts) -> None:
    comparison = compare_runs([record("a" * 32, {"x": a}), record("b" * 32, {"x": b})])
    field = next(f for f in comparison.fields if f.label == "params.x")
    assert (field.differs, field.texts) == (differs, texts)
    assert comparison.differing("params") == (["x"] if differs else [])


def test_a_missing_key_is_a_difference_only_against_a_value() -> None:
    runs = [record("a" * 32, {"x": 1, "y": None}), record("b" * 32, {"x": 1})]
    comparison = compare_runs(runs)
    assert comparison.keys("params") == ["x", "y"]
    assert comparison.differing("params") == []


def test_run_fields_come_first_and_durations_never_count_as_differences() -> None:
    runs = [
        record("a" * 32, {}, end_time=1.0, status="finished"),
        record("b" * 32, {}, end_time=9.0, status="failed"),
    ]
    comparison = compare_runs(runs)
    assert [f.label for f in comparison.fields[:4]] == ["name", "status", "experiment", "duration"]
    assert [f.key for f in comparison.fields if f.family == "run" and f.differs] == ["status"]


def test_metrics_compare_exactly_too() -> None:
    runs = [record("a" * 32, {}, {"acc": 0.9}), record("b" * 32, {}, {"acc": 0.9 + 1e-12})]
    field = compare_runs(runs).fields[-1]
    assert field.label == "metrics.acc" and field.differs
    assert not math.isclose(float(field.texts[0]), float(field.texts[1]), rel_tol=0, abs_tol=0)
