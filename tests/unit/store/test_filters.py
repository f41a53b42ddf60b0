"""The filter language: what each expression selects, and the message for each mistake."""

from __future__ import annotations

import pytest

from mlops_jupyter.errors import InvalidFilterError
from mlops_jupyter.store import RunStore


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> RunStore:
    root = tmp_path_factory.mktemp("filters")
    store = RunStore(str(root / "runs.db"))
    rows = [
        ("rf-small", "rf", 0.1, 3, True, 0.91, "prod"),
        ("rf-big", "rf", 0.01, 9, False, 0.95, "dev"),
        ("svm", "svm", 1.0, None, True, 0.80, None),
        ("sweep/7", "mlp", 0.001, 2, False, None, "dev"),
    ]
    for name, model, lr, depth, flag, acc, stage in rows:
        run_id = store.create_run(
            name=name,
            experiment="e1" if model != "mlp" else "e2",
            params={"model": model, "lr": lr, "depth": depth, "flag": flag},
            tags={"stage": stage} if stage else {},
        )
        if acc is not None:
            store.log_metrics([(run_id, "acc", 0, acc, 1.0), (run_id, "val/loss", 0, 1 - acc, 1.0)])
        if name != "svm":
            store.end_run(run_id, "failed" if name == "rf-big" else "finished")
    return store


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("metrics.acc > 0.9", {"rf-small", "rf-big"}),
        ("metrics.acc > 0.9 and params.model == 'rf'", {"rf-small", "rf-big"}),
        ("metrics.acc > 0.9 and params.lr < 0.05", {"rf-big"}),
        ("0.9 < metrics.acc < 0.93", {"rf-small"}),
        ("params.model == 'svm' or tags.stage == 'prod'", {"svm", "rf-small"}),
        ("not params.model == 'rf'", {"svm", "sweep/7"}),
        ("params.flag == True", {"rf-small", "svm"}),
        ("params.depth >= 3", {"rf-small", "rf-big"}),
        ("params.depth is None", {"svm"}),
        ("params.model in ('svm', 'mlp')", {"svm", "sweep/7"}),
        ("params.model not in ['rf']", {"svm", "sweep/7"}),
        ("tags.stage != 'dev'", {"rf-small", "svm"}),
        ("metrics['val/loss'] < 0.1", {"rf-small", "rf-big"}),
        ("metrics.acc is None", {"sweep/7"}),
        ("status == 'running'", {"svm"}),
        ("status in ('failed',)", {"rf-big"}),
        ("experiment == 'e2'", {"sweep/7"}),
        ("name.startswith('rf')", {"rf-small", "rf-big"}),
        ("name.contains('p/')", {"sweep/7"}),
        ("name.endswith('_')", set()),
        ("duration >= 0", {"rf-small", "rf-big", "sweep/7"}),
        ("", {"rf-small", "rf-big", "svm", "sweep/7"}),
    ],
)
def test_filter_selects(store: RunStore, expression: str, expected: set[str]) -> None:
    assert {r.name for r in store.search_runs(filter=expression)} == expected


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("metrics.acc >", "syntax error"),
        ("accuracy > 0.9", "unknown field 'accuracy'"),
        ("foo.acc > 1", "unknown field family 'foo'"),
        ("metrics.acc > 'high'", "compare 'acc' with a number"),
        ("params.model == other", "not a literal value"),
        ("metrics.acc + 1", "is not a comparison"),
        ("__import__('os').system('x')", "calls are allowed"),
        ("params.model in 'rf'", "needs a list"),
        ("params.x is 3", "only compares with None"),
        ("metrics.acc @ 2", "is not a comparison"),
    ],
)
def test_bad_filters_name_the_problem(store: RunStore, expression: str, message: str) -> None:
    with pytest.raises(InvalidFilterError, match=message) as info:
        store.search_runs(filter=expression)
    assert "metrics.acc > 0.9" in str(info.value)  # and show the fix: an example


@pytest.mark.parametrize(
    ("order_by", "first"),
    [
        ("metrics.acc DESC", "rf-big"),
        ("metrics.acc", "svm"),
        ("-params.lr", "svm"),
        ("name ASC", "rf-big"),
        (["experiment DESC", "name"], "sweep/7"),
    ],
)
def test_order_by(store: RunStore, order_by, first: str) -> None:
    assert store.search_runs(order_by=order_by)[0].name == first


def test_missing_values_sort_last(store: RunStore) -> None:
    assert store.search_runs(order_by="metrics.acc")[-1].name == "sweep/7"
    assert store.search_runs(order_by="metrics.acc DESC")[-1].name == "sweep/7"


def test_bad_order_by(store: RunStore) -> None:
    with pytest.raises(InvalidFilterError, match="unknown field 'bogus' to sort by"):
        store.search_runs(order_by="bogus DESC")
    with pytest.raises(InvalidFilterError, match="'FIELD DESC'"):
        store.search_runs(order_by="name sideways")
