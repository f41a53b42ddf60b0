"""A %%track cell in a real kernel keeps running while its PostgreSQL store dies and comes back,
and every metric it logged lands (issue 9, D4; the probe's F14)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import psycopg
import pytest

import mlops_jupyter as mj
from mlops_jupyter.store import RunStore
from tests.conftest import PostgresCluster

pytestmark = [pytest.mark.kernel, pytest.mark.postgres, pytest.mark.slow]

LOAD = "%load_ext mlops_jupyter\nimport time, pathlib\nimport mlops_jupyter as mj"
CELL = """%%track --name outage
for step in range(120_000):
    mj.log_metric("loss", step * 1.0, step=step)
    if step == 30_000:
        pathlib.Path({marker!r}).write_text("halfway")
    if step % 25 == 0:
        time.sleep(0.001)
step
"""


def test_a_tracked_cell_survives_the_store_dying_mid_cell(
    run_cells, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: the cell stopped at step 50,001 with StoreUnavailableError and the run failed."""
    cluster = PostgresCluster()
    cluster.start()
    try:
        with psycopg.connect(f"{cluster.url}/postgres", autocommit=True) as conn:
            conn.execute('CREATE DATABASE "outage"')
        url = f"{cluster.url}/outage"
        monkeypatch.setenv("MLOPS_JUPYTER_STORE", url)
        monkeypatch.setenv("MLOPS_JUPYTER_SPOOL", str(tmp_path / "spool"))  # kernel and test
        marker = tmp_path / "halfway"

        def outage() -> None:
            deadline = time.monotonic() + 120
            while not marker.exists() and time.monotonic() < deadline:
                time.sleep(0.02)
            cluster.stop()  # -m immediate: the server dies under the running cell
            time.sleep(3.0)
            cluster.start()

        killer = threading.Thread(target=outage)
        killer.start()
        nb = run_cells([LOAD, CELL.format(marker=str(marker))])
        killer.join()
        outputs = nb.cells[1].outputs
        assert not [o for o in outputs if o["output_type"] == "error"]
        result = [o for o in outputs if o["output_type"] == "execute_result"]
        assert result and result[0]["data"]["text/plain"] == "119999"  # the cell completed
        mj.runs(store=url)  # any process that reads the store writes what was spooled
        store = RunStore(url)
        (run,) = store.search_runs(filter="name == 'outage'")
        lost = 120_000 - len(store.metric_history(run.run_id, "loss"))
        print(f"F14 kernel outage: {lost} of 120000 lost, run {store.get_run(run.run_id).status}")
        assert lost == 0
        assert store.get_run(run.run_id).status == "finished"
    finally:
        cluster.remove()
