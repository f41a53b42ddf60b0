"""Fixtures for the server-extension tests: a jupyter_server (pytest-jupyter) over a temp store
holding real runs made through the tracking API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

# pytest-jupyter's fixtures (jp_fetch, ...) for this folder only: declared as a root plugin they
# would give every test of the suite its event loop, which Playwright and Dask then trip over.
from pytest_jupyter.jupyter_server import *  # noqa: F403

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def lab_store_url(tmp_path: Path) -> str:
    """The SQLite store the server under test reads."""
    return str(tmp_path / "lab-store" / "runs.db")


@pytest.fixture
def jp_server_config(lab_store_url: str) -> dict[str, Any]:
    """Enable only our extension, point it at the temp store; auth stays on (token)."""
    return {
        "ServerApp": {"jpserver_extensions": {"mlops_jupyter": True}},
        "MlopsJupyterApp": {"store_url": lab_store_url},
    }


def make_runs(store_url: str, n: int = 4, steps: int = 20) -> list[str]:
    """Real runs through the public tracking API: params, metric curves, a figure and a table."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    import mlops_jupyter as mj

    ids = []
    for i in range(n):
        model = "rf" if i % 2 == 0 else "svm"
        with mj.start_run(
            name=f"run-{i}", experiment="demo", store=store_url, source_notebook="train.ipynb"
        ) as run:
            run.log_params({"model": model, "lr": 0.1 * (i + 1), "depth": i + 2, "flag": i == 0})
            for step in range(steps):
                run.log_metric("loss", 1.0 / (step + 1 + i), step=step)
            run.log_metric("acc", 0.6 + 0.1 * i)
            fig, ax = plt.subplots(figsize=(2, 2))
            ax.plot([0, 1, 2], [i, i + 1, i * 2])
            run.log_figure(fig, "curve")
            plt.close(fig)
            run.log_table(pd.DataFrame({"y": [1, 0, 1], "p": [0.9, 0.2, 0.7 + i / 100]}), "preds")
            ids.append(run.run_id)
    return ids


@pytest.fixture
def runs(lab_store_url: str) -> list[str]:
    """Four finished runs: run-0..run-3, alternating model rf/svm, acc 0.6..0.9."""
    return make_runs(lab_store_url)
