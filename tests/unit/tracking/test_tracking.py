"""The public tracking API: run lifecycle, buffered metrics, artifacts, queries."""

from __future__ import annotations

import json
import time

import pytest

import mlops_jupyter as mj
from mlops_jupyter.errors import InvalidMetricError, RunStateError


def test_context_manager_finishes_and_records_everything() -> None:
    with mj.start_run("train", experiment="exp", params={"lr": 0.1}, tags={"who": "me"}) as run:
        mj.log_param("depth", 4)
        for step in range(3):
            mj.log_metric("loss", 1.0 / (step + 1))
        mj.log_metrics({"acc": 0.9, "f1": 0.8})
        mj.set_tag("stage", "dev")
    record = mj.get_run(run.run_id)
    assert record.status == "finished" and record.end_time is not None
    assert record.params == {"lr": 0.1, "depth": 4}
    assert record.metrics == {"loss": pytest.approx(1 / 3), "acc": 0.9, "f1": 0.8}
    assert record.tags == {"who": "me", "stage": "dev"}
    assert {"git", "python", "packages", "host", "seeds"} <= set(record.provenance)
    assert mj.active_run() is None


def test_exception_marks_failed_with_traceback_and_propagates() -> None:
    with pytest.raises(ZeroDivisionError), mj.start_run("boom") as run:
        mj.log_metric("before", 1.0)
        1 / 0  # noqa: B018
    record = mj.get_run(run.run_id)
    assert record.status == "failed"
    assert "ZeroDivisionError" in record.error
    assert record.metrics == {"before": 1.0}  # logged before the failure, still there


def test_keyboard_interrupt_marks_killed() -> None:
    with pytest.raises(KeyboardInterrupt), mj.start_run("stopped") as run:
        raise KeyboardInterrupt
    assert mj.get_run(run.run_id).status == "killed"


def test_nested_runs_become_children_and_end_with_parent() -> None:
    with mj.start_run("parent") as parent:
        child = mj.start_run("child")
        assert mj.active_run() is child
    assert mj.get_run(child.run_id).parent_run_id == parent.run_id
    assert mj.get_run(child.run_id).status == "finished"
    assert mj.active_run() is None


def test_children_inherit_the_parent_experiment(monkeypatch: pytest.MonkeyPatch) -> None:
    with mj.start_run("parent", experiment="exp-a") as parent:
        nested = mj.start_run("nested")
        other = mj.start_run("explicit", experiment="exp-b")
    monkeypatch.setenv("MLOPS_JUPYTER_PARENT_RUN", parent.run_id)  # a kernel started by `run`
    with mj.start_run("in-kernel") as in_kernel:
        pass
    assert [mj.get_run(r.run_id).experiment for r in (nested, other, in_kernel)] == [
        "exp-a",
        "exp-b",
        "exp-a",
    ]
    assert mj.get_run(in_kernel.run_id).parent_run_id == parent.run_id


def test_logging_without_a_run_starts_one() -> None:
    mj.log_metric("x", 2)
    run = mj.active_run()
    assert run is not None
    mj.end_run()
    assert mj.get_run(run.run_id).metrics == {"x": 2.0}


def test_default_steps_count_up_and_explicit_steps_are_kept() -> None:
    with mj.start_run() as run:
        for value in (3, 2, 1):
            run.log_metric("loss", value)
        run.log_metric("acc", 0.5, step=10)
        run.log_metric("acc", 0.6)
    store = mj.open_store()
    assert [(p.step, p.value) for p in store.metric_history(run.run_id, "loss")] == [
        (0, 3.0),
        (1, 2.0),
        (2, 1.0),
    ]
    assert [p.step for p in store.metric_history(run.run_id, "acc")] == [10, 11]


def test_metrics_reach_the_store_while_the_run_is_still_going() -> None:
    run = mj.start_run("live")
    run.log_metric("loss", 0.5)
    deadline = time.time() + 5
    while time.time() < deadline and not mj.open_store().get_run(run.run_id).metrics:
        time.sleep(0.1)  # the background flusher writes within ~0.5 s, no end_run needed
    assert mj.open_store().get_run(run.run_id).metrics == {"loss": 0.5}
    run.end()


@pytest.mark.parametrize("value", ["0.9", None, [1, 2], object(), b"1"])
def test_non_numeric_metric_is_refused_at_once(value) -> None:
    with mj.start_run() as run:
        with pytest.raises(InvalidMetricError, match="must be a number"):
            run.log_metric("acc", value)
        run.log_metric("ok", 1)
    assert mj.get_run(run.run_id).metrics == {"ok": 1.0}  # nothing else lost


def test_numpy_values_are_accepted() -> None:
    import numpy as np

    with mj.start_run() as run:
        run.log_metric("a", np.float32(0.5))
        run.log_metric("b", np.int64(3))
        run.log_metric("c", np.array(1.5))
        run.log_param("n", np.int64(7))
    record = mj.get_run(run.run_id)
    assert record.metrics == {"a": 0.5, "b": 3.0, "c": 1.5} and record.params == {"n": 7}


def test_logging_to_an_ended_run_is_a_clear_error() -> None:
    run = mj.start_run()
    run.end()
    with pytest.raises(RunStateError, match="has ended"):
        run.log_param("x", 1)


def test_figures_tables_files_and_inputs(tmp_path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    data = tmp_path / "train.csv"
    data.write_text("x,y\n1,2\n")
    with mj.start_run() as run:
        fig, ax = plt.subplots()
        ax.plot([1, 2, 3])
        mj.log_figure(fig, "curve")
        mj.log_table(pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}), "preds")
        mj.log_artifact(data)
        mj.log_artifact(b"\x00\x01", name="raw.bin")
        sha = mj.log_input(data)
    record = mj.get_run(run.run_id)
    names = {a.name: a for a in record.artifacts}
    assert set(names) == {
        "curve.png",
        "curve.svg",
        "preds.table.json",
        "preds.profile.json",  # log_table also keeps the data profile (monitoring/profile.py)
        "preds.sample.npz",
        "train.csv",
        "raw.bin",
    }
    store = mj.open_store()
    assert store.read_artifact(names["curve.png"].sha256).startswith(b"\x89PNG")
    assert b"<svg" in store.read_artifact(names["curve.svg"].sha256)
    table = json.loads(store.read_artifact(names["preds.table.json"].sha256))
    assert [f["name"] for f in table["schema"]["fields"]] == ["index", "a", "b"]
    assert table["data"][1]["b"] == "y"
    assert names["train.csv"].media_type == "text/csv"
    (entry,) = record.inputs
    assert entry["name"] == "train.csv" and entry["sha256"] == sha and entry["size"] == 8
    assert entry["kind"] == "csv" and entry["source"] == "log_input"
    assert entry["path"] in (str(data), "train.csv")  # relative when inside the project


def test_log_artifact_of_bytes_needs_a_name() -> None:
    with mj.start_run() as run, pytest.raises(ValueError, match="needs name="):
        run.log_artifact(b"x")


def test_resume_continues_steps() -> None:
    with mj.start_run("resumable") as run:
        run.log_metric("loss", 1.0)
        run.log_metric("loss", 0.5)
    with mj.start_run(run_id=run.run_id) as again:
        again.log_metric("loss", 0.25)
    history = mj.open_store().metric_history(run.run_id, "loss")
    assert [p.step for p in history] == [0, 1, 2]
    assert mj.get_run(run.run_id).status == "finished"


def test_runs_dataframe_with_filter_order_and_limit() -> None:
    for lr in (0.1, 0.01, 0.001):
        with mj.start_run(f"lr{lr}", params={"lr": lr, "model": "rf"}) as run:
            run.log_metric("acc", 1 - lr)
    frame = mj.runs(
        filter="metrics.acc > 0.95 and params.model == 'rf'", order_by="metrics.acc DESC", limit=1
    )
    assert list(frame["name"]) == ["lr0.001"]
    assert frame.loc[0, "params.lr"] == 0.001
    assert len(mj.runs()) == 3


def test_seeds_set_by_the_user_are_recorded() -> None:
    import random

    import numpy as np

    mj.start_run().end()  # installs the recorders
    random.seed(1234)
    np.random.seed(99)
    with mj.start_run() as run:
        pass
    assert mj.get_run(run.run_id).provenance["seeds"] == {"random": 1234, "numpy": 99}
