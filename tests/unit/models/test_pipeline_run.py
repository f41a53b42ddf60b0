"""A converted package's ``--track`` run (`mj.track_pipeline` around steps written as the
converter writes a ``%%track`` cell): recorded like the notebook's run, so the gate, the
registry and drift compare it with a notebook run like with like."""

from __future__ import annotations

import os
import threading
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import mlops_jupyter as mj
from mlops_jupyter.cli.main import main
from mlops_jupyter.store import open_store
from mlops_jupyter.tracking import cell_run

TRAIN = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0], "b": [1.0, 0, 1, 0, 1, 0]})


def _fit_step(train: pd.DataFrame, labels_csv: str, C: float) -> None:
    """What the converter writes for ``%%track --name fit`` (convert/track_code.py)."""
    with mj.track_cell(
        ["train", "labels_csv", "C", "pd", "LogisticRegression"], locals(), globals(), name="fit"
    ) as _track:
        y = pd.read_csv(labels_csv)["y"]
        model = LogisticRegression(C=C).fit(train, y)
        accuracy = model.score(train, y)
        _track.shown(train.assign(y=y).head(3))
        _track.metrics(["y", "model", "accuracy"], locals(), globals())
        _track.models(["y", "model", "accuracy"], locals(), globals())


def _pipeline(tmp_path: Path, C: float = 1.0, fail: bool = False) -> Any:
    labels = tmp_path / "labels.csv"
    labels.write_text("y\n0\n1\n0\n1\n0\n1\n")

    (tmp_path / "features.csv").write_text(TRAIN.to_csv(index=False))

    def steps() -> dict[str, Any]:
        train = pd.read_csv(tmp_path / "features.csv")  # an untracked step reads the features
        _fit_step(train, str(labels), C)
        if fail:
            raise RuntimeError("the evaluation step broke")
        return {"train": TRAIN, "C": C}

    return steps


def test_the_pipeline_run_is_the_notebook_runs_shape_and_registers_its_steps_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    given = {"C": 1.0, "features": ["a", "b"], "limit": None, "scaler": object()}
    tracked = mj.track_pipeline(_pipeline(tmp_path), "pipeline pkg", params=given, register="clf")
    store = open_store()
    parent = store.get_run(tracked.run_id)
    (child,) = store.search_runs(parent_run_id=parent.run_id)
    child = store.get_run(child.run_id)
    assert parent.status == child.status == "finished"
    assert parent.tags["mlops.kind"] == "pipeline"
    # the notebook run's rule for params: simple values (lists of them and None too)
    assert parent.params == {"C": 1.0, "features": ["a", "b"], "limit": None}
    assert child.name == "fit" and child.params["C"] == 1.0
    # the step's metric rolled up onto the pipeline's run: what check-metrics reads
    assert parent.metrics == child.metrics == {"accuracy": child.metrics["accuracy"]}
    names = {a.name for a in child.artifacts}
    assert {"models/model/MLmodel", "table_1.profile.json", "input.train.profile.json"} <= names
    assert [i["name"] for i in parent.inputs] == ["features.csv"]  # the untracked step's read
    (read,) = child.provenance["inputs"]
    assert read["name"] == "labels.csv" and read["reader"] == "pandas.read_csv"
    assert child.provenance["frames"][0]["name"] == "table_1"
    # --register registered the step's model; promoting the run reuses that version
    assert tracked.version is not None and tracked.version.run_id == child.run_id
    gate = [*("check-metrics", parent.run_id, "--metric", "accuracy", "--max-drop", "0.01")]
    assert main([*gate, "--baseline", "models:/clf@champion", "--promote"]) == 0
    assert "promoted models:/clf@champion to version 1" in capsys.readouterr().err
    assert [v.version for v in store.list_model_versions("clf")] == [1]

    second = mj.track_pipeline(_pipeline(tmp_path), "pipeline pkg", params={"C": 1.0})
    gate[1] = second.run_id  # the baseline is version 1's pipeline run (its model's parent)
    assert main([*gate, "--baseline", "models:/clf@champion", "--format", "json"]) == 0
    assert f'"baseline_run_id": "{parent.run_id}"' in capsys.readouterr().out


def test_a_failing_pipeline_keeps_its_finished_steps_metrics(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="evaluation step broke"):
        mj.track_pipeline(_pipeline(tmp_path, fail=True), "pipeline pkg", params={})
    (run,) = open_store().search_runs(filter="tags['mlops.kind'] == 'pipeline'")
    assert run.status == "failed" and "accuracy" in run.metrics


def test_a_failing_model_logger_is_a_warning_never_the_steps_error() -> None:
    def broken(*args: Any) -> None:
        raise OSError("disk full")

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with cell_run.track_cell(["x"], {"x": 1}, name="cell", model_logger=broken) as cell:
            cell.models(["model"], {"model": object()})
            done = True
    assert done and any("logging models failed: disk full" in str(w.message) for w in caught)
    (run,) = open_store().search_runs()
    assert run.status == "finished"


def test_steps_on_other_threads_are_children_of_the_pipeline_run(tmp_path: Path) -> None:
    """`--executor dask`'s local cluster runs steps on worker threads, where no run is active."""
    labels = tmp_path / "labels.csv"
    labels.write_text("y\n0\n1\n0\n1\n0\n1\n")

    def on_a_worker_thread() -> dict[str, Any]:
        worker = threading.Thread(target=_fit_step, args=(TRAIN, str(labels), 1.0))
        worker.start()
        worker.join()
        return {}

    tracked = mj.track_pipeline(on_a_worker_thread, "pipeline pkg", params={})
    store = open_store()
    (child,) = store.search_runs(filter="name == 'fit'")
    assert child.parent_run_id == tracked.run_id
    assert "accuracy" in store.get_run(tracked.run_id).metrics
    assert "MLOPS_JUPYTER_PARENT_RUN" not in os.environ
