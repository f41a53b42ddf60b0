"""Runs made by an exported script are comparable with the notebook's: the same param and
metric keys, and the figures and the shown table logged under the same names. The notebook runs
in a real kernel (nbclient); the script in a plain subprocess, against the same store."""

from __future__ import annotations

import os
import subprocess
import sys

import nbformat

from mlops_jupyter.convert.script import export_script
from mlops_jupyter.store import RunStore
from tests.support import ROOT
from tests.support.corpus import env_with_path

CELLS = [
    ("lr = 0.1\nepochs = 3\nmodel = 'rf'", ["parameters"]),
    "%load_ext mlops_jupyter\n%matplotlib inline\nimport matplotlib\nmatplotlib.use('agg')",
    "import matplotlib.pyplot as plt\nimport pandas as pd\nimport mlops_jupyter as mj\ndepth = 4",
    "%%track --name train\nfor epoch in range(epochs):\n"
    "    mj.log_metric('loss', 1.0 / (epoch + 1), step=epoch)\n"
    "acc = 0.5 + lr * depth\nlabel = 'x'\nfig, ax = plt.subplots()\nax.plot([1, 2, 3])\n"
    "pd.DataFrame({'pred': [0, 1]})",
    "%runs --limit 1",
]


def _keys(store: RunStore, run_id: str) -> tuple[set[str], set[str], set[str]]:
    run = store.get_run(run_id)
    artifacts = {a.name for a in run.artifacts if not a.name.endswith(".txt")}
    return set(run.params), set(run.metrics), artifacts


def test_script_runs_have_the_notebook_runs_keys(run_cells, store, tmp_path) -> None:
    nb = run_cells(CELLS)
    (notebook_run,) = store.search_runs()
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    script = export_script(path, tmp_path / "train.py")
    assert "pass  #" not in script and "%runs" not in script  # housekeeping leaves nothing
    done = subprocess.run(
        [sys.executable, str(tmp_path / "train.py"), "--lr", "0.2"],
        cwd=tmp_path,
        env={**env_with_path(ROOT), "MLOPS_JUPYTER_STORE": os.environ["MLOPS_JUPYTER_STORE"]},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    script_run = next(r for r in store.search_runs() if r.run_id != notebook_run.run_id)
    notebook_keys = _keys(store, notebook_run.run_id)
    assert notebook_keys == _keys(store, script_run.run_id)
    params, metrics, artifacts = notebook_keys
    assert params == {"lr", "epochs", "model", "depth"} and metrics == {"loss", "acc"}
    assert {"figure_1.png", "figure_1.svg", "table_1.table.json"} <= artifacts  # + profiles
    assert store.get_run(script_run.run_id).params["lr"] == 0.2
