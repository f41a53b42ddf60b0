"""`reproduce`: a deterministic notebook reproduces; an unseeded random metric is flagged."""

from __future__ import annotations

import pytest

from mlops_jupyter.cli.main import main
from mlops_jupyter.execution import reproduce_run, run_notebook
from mlops_jupyter.store import open_store
from tests.support.nbhelpers import copy_notebook


def test_deterministic_notebook_is_reproduced(tmp_path, capsys):
    nb = copy_notebook("repro.ipynb", tmp_path)
    original = run_notebook(nb, {"lr": 0.25, "steps": 3})
    nb.unlink()  # reproduce uses the recorded source, not the file
    assert main(["reproduce", original.run_id[:8], "--rtol", "1e-9"]) == 0
    out = capsys.readouterr().out
    assert "REPRODUCED" in out and "acc" in out and "same" in out
    tags = open_store().get_run(original.run_id).tags
    assert tags["mlops.reproduce.verdict"] == "reproduced"
    new = open_store().get_run(tags["mlops.reproduce.run_id"])
    assert new.params["lr"] == 0.25 and new.params["steps"] == 3
    assert new.tags["mlops.reproduces"] == original.run_id
    assert new.metrics == original.metrics


def test_unseeded_random_metric_is_flagged(tmp_path):
    nb = copy_notebook("repro.ipynb", tmp_path)
    original = run_notebook(nb, {"unseeded": True})
    result = reproduce_run(original.run_id, rtol=1e-6)
    assert not result.reproduced and result.verdict == "not reproduced"
    assert "acc" in result.reason
    checks = {c.key: c.verdict for c in result.checks}
    assert checks == {"acc": "differs", "steps_done": "same"}
    assert "NOT REPRODUCED" in result.table()
    tags = open_store().get_run(original.run_id).tags
    assert tags["mlops.reproduce.verdict"] == "not reproduced"
    assert tags["mlops.reproduce.differs"] == "acc"


def test_sweep_points_reproduce_but_the_sweep_itself_is_refused(tmp_path):
    from mlops_jupyter.errors import RunStateError
    from mlops_jupyter.execution import sweep_notebook

    nb = copy_notebook("repro.ipynb", tmp_path)
    result = sweep_notebook(nb, [{"steps": 2}])
    with pytest.raises(RunStateError, match="is a sweep; reproduce one of its points"):
        reproduce_run(result.sweep_run_id)
    assert reproduce_run(result.points[0].run_id).reproduced
