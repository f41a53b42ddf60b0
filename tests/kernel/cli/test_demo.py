"""`mlops-jupyter demo`, the README's first command, records and shows real runs."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from mlops_jupyter.store import RunStore

pytestmark = pytest.mark.slow


def test_demo_records_runs_sweeps_reproduces_and_exports(tmp_path) -> None:
    store = tmp_path / "demo" / "runs.db"
    done = subprocess.run(
        [sys.executable, "-m", "mlops_jupyter.cli", "--store", str(store), "demo"],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "MLOPS_JUPYTER_STORE": ""},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "demo-logreg-lr0.1" in out and "sgd-classifier" in out and "prepare-diabetes" in out
    assert "verdict: reproduced" in out
    assert "conversion will be faithful" in out and "--learning-rate" in out
    runs = RunStore(str(store)).search_runs()
    assert {r.status for r in runs} == {"finished"}
    assert len(runs) >= 3 + 2 + 1 + 4 + 1  # API runs, notebooks, sweep + points, reproduction
