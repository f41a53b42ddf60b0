"""Every notebook in example-notebooks/ runs offline and records the runs it should."""

from __future__ import annotations

import os

import pytest

from mlops_jupyter.cli.examples import example_notebooks, execute_example
from mlops_jupyter.store import RunStore

EXPECTED = {
    "train_classifier.ipynb": (
        "sgd-classifier",
        {"learning_rate", "epochs", "alpha", "seed"},
        {"test_accuracy", "test_loss", "train_loss", "val_accuracy"},
    ),
    "prepare_data.ipynb": (
        "prepare-diabetes",
        {"outlier_z", "bmi_bins"},
        {"rows_in", "rows_out", "dropped_fraction", "target_mean"},
    ),
}


def test_every_example_is_covered() -> None:
    assert {p.name for p in example_notebooks()} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_notebook_records_its_run(name: str, tmp_path) -> None:
    path = next(p for p in example_notebooks() if p.name == name)
    before = path.read_bytes()
    executed = execute_example(path, os.environ["MLOPS_JUPYTER_STORE"], tmp_path)
    assert path.read_bytes() == before  # the example itself is never modified
    assert executed.exists()
    store = RunStore(os.environ["MLOPS_JUPYTER_STORE"])
    (run,) = store.search_runs()
    record = store.get_run(run.run_id)
    run_name, params, metrics = EXPECTED[name]
    assert record.name == run_name and record.status == "finished"
    assert params <= set(record.params)
    assert metrics <= set(record.metrics)
    assert {"figure_1.png", "table_1.table.json"} <= {a.name for a in record.artifacts}
    assert record.provenance["cell"]["hidden_state"] is False
    if name == "train_classifier.ipynb":
        assert record.metrics["test_accuracy"] > 0.9
        assert len(store.metric_history(run.run_id, "val_accuracy")) == record.params["epochs"]
