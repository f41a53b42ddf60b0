"""Tracking reliability: bad metrics refused at the call, store refusals and outages never lose
the run's other metrics, and each thread has its own active run (issue 9: D3, D4, D5, D24)."""

from __future__ import annotations

import time
from typing import Any

import pytest

import mlops_jupyter as mj
from mlops_jupyter.errors import InvalidMetricError
from mlops_jupyter.store import RunStore

#: (key, value, step) that every backend must refuse at the log_metric call (the probe's D3).
POISON_CALLS = {
    "key None": (None, 0.5, 0),
    "key of 300 chars": ("k" * 300, 0.5, 0),
    "NUL in key": ("a\x00b", 0.5, 0),
    "empty key, float value": ("", 0.5, 0),
    "int key, float value": (123, 0.5, 0),
    "step 2**63": ("s", 0.5, 2**63),
    "step 2**70": ("s", 0.5, 2**70),
    "step below -2**63": ("s", 0.5, -(2**63) - 1),
    "float step": ("s", 0.5, 1.5),
    "int value beyond float range": ("v", 10**400, 0),
    "text value": ("v", "0.5", 0),
}


def refused_at_call_keeps_the_run(store_url: str, key: Any, value: Any, step: Any) -> None:
    """The bad call raises InvalidMetricError naming the problem; nothing else is lost."""
    store = RunStore(store_url)
    with mj.start_run("poison", store=store) as run:
        for i in range(1000):
            run.log_metric("good", float(i), step=i)
        with pytest.raises(InvalidMetricError) as info:
            run.log_metric(key, value, step=step)
        for i in range(1000, 2000):
            run.log_metric("good", float(i), step=i)
    assert "metric" in str(info.value)
    record = store.get_run(run.run_id)
    assert record.status == "finished"
    assert len(store.metric_history(run.run_id, "good")) == 2000


def store_refused_row_is_dropped_alone(store_url: str, poison: tuple[str, int],
                                       capsys: pytest.CaptureFixture[str]) -> None:
    """A row only the store can refuse (validation bypassed) costs that row, nothing else."""
    store = RunStore(store_url)
    run = mj.start_run("store-poison", store=store)
    for i in range(1000):
        run.log_metric("good", float(i), step=i)
    bad_key, bad_step = poison
    run._pending.append((run.run_id, bad_key, bad_step, 1.0, time.time()))  # bypasses checks
    for i in range(1000, 1500):
        run.log_metric("good", float(i), step=i)
    run.flush()  # the refused row must not make the batch fail
    for i in range(1500, 2000):
        run.log_metric("good", float(i), step=i)
    run.end()  # never raises
    err = capsys.readouterr().err
    assert err.count("dropped") == 1 and repr(bad_key)[:40] in err and str(bad_step) in err
    assert store.get_run(run.run_id).status == "finished"
    assert len(store.metric_history(run.run_id, "good")) == 2000


@pytest.mark.parametrize("case", list(POISON_CALLS))
def test_sqlite_poison_metric_refused_at_the_call(store_url: str, case: str) -> None:
    refused_at_call_keeps_the_run(store_url, *POISON_CALLS[case])


@pytest.mark.parametrize("poison", [("overflow", 2**63), ("n" * 300, 3)], ids=["step", "key"])
def test_sqlite_store_refused_row_is_dropped_alone(store_url: str, poison: tuple[str, int],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    if poison[0] == "n" * 300:  # SQLite stores long keys; a NOT NULL key is its refusal
        poison = (None, 3)  # type: ignore[assignment]
    store_refused_row_is_dropped_alone(store_url, poison, capsys)


def test_numbers_of_every_kind_are_still_accepted(store_url: str) -> None:
    """Validation refuses only what cannot be stored: ints, bools, numpy scalars, inf pass."""
    np = pytest.importorskip("numpy")
    store = RunStore(store_url)
    with mj.start_run("kinds", store=store) as run:
        for i, value in enumerate([1, True, np.float32(0.5), np.int64(3), float("inf"), 2**62]):
            run.log_metric("m", value, step=i)
        run.log_metric("big-step", 1.0, step=2**63 - 1)
        run.log_metric("numpy-step", 1.0, step=np.int64(7))
    assert len(store.metric_history(run.run_id, "m")) == 6
    assert store.metric_history(run.run_id, "big-step")[0].step == 2**63 - 1
