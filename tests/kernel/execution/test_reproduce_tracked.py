"""`reproduce` of %%track runs: an interactive run is re-executed from the cells its inputs came
from, then the tracked cell, in a fresh kernel; a run inside `run` reproduces through its
parent's notebook; a run with nothing to re-execute is refused, saying why, before anything
starts."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest

from mlops_jupyter import tracking
from mlops_jupyter.cli.main import main
from mlops_jupyter.errors import RunStateError
from mlops_jupyter.execution import reproduce_run, run_notebook
from mlops_jupyter.store import RunStore
from tests.support.lab_kernel import FrontEnd
from tests.support.nbhelpers import make_notebook

CELLS = [
    "%load_ext mlops_jupyter",
    "import math",
    "seed = 3",
    "unrelated = open('/nonexistent/never-read')  # would fail if re-executed",
    "def score(k):\n    return math.sqrt(k) * seed",
    "%%track --name det\nacc = score(16)\nloss = 1 / acc",
]


def test_an_interactive_track_run_is_reproduced(tmp_path: Path, capsys) -> None:
    store_url = os.environ["MLOPS_JUPYTER_STORE"]
    with FrontEnd(tmp_path, CELLS, lab=True) as lab:
        for index in (0, 1, 2, 4, 5):  # cell 3 never ran: it is not an input
            assert lab.run(index)["status"] == "ok"
        lab.edit(2, "seed = 100")  # the editor changes after the run: reproduce uses the record
        lab.save()
    (original,) = RunStore(store_url).search_runs()
    lineage = RunStore(store_url).get_run(original.run_id).provenance["cell"]["lineage"]
    assert [c["source"] for c in lineage] == ["import math", "seed = 3", CELLS[4]]
    assert main(["reproduce", original.run_id[:8]]) == 0
    out = capsys.readouterr().out
    assert "REPRODUCED" in out and "acc" in out
    tags = RunStore(store_url).get_run(original.run_id).tags
    assert tags["mlops.reproduce.verdict"] == "reproduced"


def test_a_track_run_inside_run_reproduces_through_its_parent(tmp_path: Path) -> None:
    nb = make_notebook(
        [("k = 4", ["parameters"]), "%load_ext mlops_jupyter", "%%track --name inner\nacc = k * 2"]
    )
    path = tmp_path / "parent.ipynb"
    nbformat.write(nb, path)
    parent = run_notebook(path, {"k": 5})
    store = RunStore(os.environ["MLOPS_JUPYTER_STORE"])
    (child,) = store.search_runs(parent_run_id=parent.run_id)
    result = reproduce_run(child.run_id)
    assert result.reproduced, result.table()
    assert [c.key for c in result.checks] == ["acc"] and result.checks[0].new == 10


def test_a_run_with_nothing_to_re_execute_is_refused_first(capsys) -> None:
    run = tracking.start_run("by hand")
    run.end()
    with pytest.raises(RunStateError, match="has no recorded notebook"):
        reproduce_run(run.run_id)
    assert main(["reproduce", run.run_id[:8]]) == 2
    assert "has no recorded notebook" in capsys.readouterr().err
