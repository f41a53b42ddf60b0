"""Reading many runs at once (the compare route's reads) gives exactly what one-run reads give,
on a real SQLite file and a real PostgreSQL server alike."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

import mlops_jupyter as mj
from mlops_jupyter.errors import RunNotFoundError
from mlops_jupyter.store import RunStore


def make(store: RunStore, n: int = 3) -> list[str]:
    ids = []
    for i in range(n):
        with mj.start_run(name=f"r{i}", store=store) as run:
            run.log_params({"lr": 0.1 * (i + 1), "model": "rf"})
            for step in range(4):
                run.log_metric("loss", 1 / (step + 1 + i), step=step)
            run.log_metric("acc", float("nan") if i == 1 else 0.5 + i / 10)
            if i != 2:
                run.log_table(pd.DataFrame({"y": [i]}), "preds")
            run.set_tags({"k": str(i)})
            ids.append(run.run_id)
    return ids


def norm(run) -> str:
    """A run as comparable text: NaN equals itself, provenance kinds in any order."""
    return repr({**run.__dict__, "provenance": json.dumps(run.provenance, sort_keys=True)})


def test_get_runs_equals_get_run_per_id_in_the_order_asked(store: RunStore) -> None:
    ids = make(store)
    asked = [ids[2], ids[0], ids[1][:8]]  # a prefix resolves as in get_run
    got = store.get_runs(asked)
    assert [r.run_id for r in got] == [ids[2], ids[0], ids[1]]
    assert [norm(r) for r in got] == [norm(store.get_run(i)) for i in asked]
    assert got[1].artifacts and not got[0].artifacts  # run 2 logged no table
    assert got[1].provenance == store.get_run(ids[0]).provenance != {}


def test_get_runs_fails_on_a_missing_run_as_get_run_does(store: RunStore) -> None:
    ids = make(store, 1)
    with pytest.raises(RunNotFoundError):
        store.get_runs([ids[0], "f" * 32])


def test_metric_histories_equal_metric_history_per_run_and_key(store: RunStore) -> None:
    ids = make(store)
    every = store.metric_histories(ids, ["loss", "acc", "nope"])
    assert set(every) == {"loss", "acc", "nope"} and every["nope"] == {}
    for run_id in ids:
        assert every["loss"][run_id] == store.metric_history(run_id, "loss")
        assert len(every["loss"][run_id]) == 4
    assert math.isnan(every["acc"][ids[1]][0].value)  # NaN kept, as metric_history keeps it
    assert store.metric_histories([], ["loss"]) == {"loss": {}}
