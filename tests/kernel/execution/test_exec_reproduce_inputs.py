"""`reproduce` compares the recorded input hashes with the files on disk and names a changed one."""

from __future__ import annotations

from pathlib import Path

import nbformat

from mlops_jupyter.cli.main import main
from mlops_jupyter.execution import reproduce_run, run_notebook
from tests.support.nbhelpers import make_notebook

CELLS = [
    ("lr = 0.1", ["parameters"]),
    "%load_ext mlops_jupyter\nimport pandas as pd",
    '%%track --name fit\ntrain = pd.read_csv("data/train.csv")\nacc = float(train.x.mean()) + lr',
]


def test_reproduce_names_an_input_changed_since_the_run(capsys):
    tmp_path = Path.cwd()  # the test's own project folder
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "train.csv").write_text("x\n1\n2\n")
    path = tmp_path / "fit.ipynb"
    nbformat.write(make_notebook(CELLS), path)
    original = run_notebook(path, {"lr": 0.5})
    unchanged = reproduce_run(original.run_id)
    assert unchanged.reproduced, unchanged.reason  # the same data: no false alarm
    (tmp_path / "data" / "train.csv").write_text("x\n1\n3\n")
    assert main(["reproduce", original.run_id[:8]]) == 1
    out = capsys.readouterr().out
    assert "NOT REPRODUCED (input data/train.csv changed since the run" in out
