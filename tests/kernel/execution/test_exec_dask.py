"""Sweeps on Dask distributed workers: a LocalCluster on SQLite, and workers writing to
PostgreSQL through a scheduler address."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mlops_jupyter.cli.main import main
from mlops_jupyter.execution import sweep_notebook
from mlops_jupyter.store import RunStore, open_store
from tests.support.nbhelpers import copy_notebook

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """A real Dask scheduler on tcp:// with two in-process workers, shared by this module."""
    from distributed import LocalCluster

    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None, protocol="tcp"
    )
    assert cluster.scheduler_address.startswith("tcp://")
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


def test_sweep_on_a_local_dask_cluster(tmp_path, capsys):
    from jupyter_core.utils import ensure_event_loop

    # as after any notebook executed in this thread: an event loop in jupyter_core's context
    # variable, which in-process Dask workers inherit; points must still not share it
    ensure_event_loop()
    nb = copy_notebook("typed.ipynb", tmp_path)
    code = main(
        [
            "sweep",
            str(nb),
            "--grid",
            "epochs=1,2,3",
            "--executor",
            "dask",
            "--jobs",
            "2",
            "--name",
            "dask-local",
        ]
    )
    assert code == 0, capsys.readouterr().err
    assert "3/3 points finished" in capsys.readouterr().out
    (sweep,) = open_store().search_runs(filter="name == 'dask-local'")
    children = open_store().search_runs(parent_run_id=sweep.run_id)
    assert sorted(c.params["epochs"] for c in children) == [1, 2, 3]
    assert all(
        c.status == "finished" and c.metrics["score"] == pytest.approx(0.1 * c.params["epochs"])
        for c in children
    )
    assert sweep.params["sweep.executor"] == "dask"


@pytest.mark.postgres
def test_dask_workers_record_into_postgresql(tmp_path, scheduler, postgres_url):
    nb = copy_notebook("fail.ipynb", tmp_path)
    result = sweep_notebook(
        nb,
        [{"x": 1}, {"x": 2}],
        parameters={"fail_on": 2},
        jobs=2,
        store=postgres_url,
        executor="dask",
        scheduler=scheduler,
    )
    assert [p.status for p in result.points] == ["finished", "failed"]
    store = RunStore(postgres_url)
    assert store.dialect == "postgresql"
    sweep = store.get_run(result.sweep_run_id)
    children = {
        int(c.tags["mlops.sweep.point"]): c for c in store.search_runs(parent_run_id=sweep.run_id)
    }
    assert children[0].status == "finished" and children[0].metrics == {"x2": 2.0}
    assert children[1].status == "failed" and "boom at x=2" in children[1].error
    assert store.get_run(children[1].run_id).artifact("executed.ipynb") is not None
    assert open_store().count_runs() == 0  # nothing went to the default SQLite store
