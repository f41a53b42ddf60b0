"""Tracking against a real PostgreSQL server: poison metrics, and the server stopped and
restarted under a running loop or at run end (issue 9: D3, D4; probe rows F11, F12)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator

import psycopg
import pytest

import mlops_jupyter as mj
from mlops_jupyter.store import RunStore, spool
from mlops_jupyter.tracking import metric_buffer
from mlops_jupyter.tracking.context import replay_spool
from tests.conftest import PostgresCluster
from tests.unit.tracking.test_reliability_tracking import (
    POISON_CALLS,
    refused_at_call_keeps_the_run,
    store_refused_row_is_dropped_alone,
)

pytestmark = pytest.mark.postgres


@pytest.mark.parametrize("case", list(POISON_CALLS))
def test_postgres_poison_metric_refused_at_the_call(postgres_url: str, case: str) -> None:
    refused_at_call_keeps_the_run(postgres_url, *POISON_CALLS[case])


@pytest.mark.parametrize(
    "poison",
    [("overflow", 2**63), ("n" * 300, 3), ("a\x00b", 4)],
    ids=["step", "long-key", "nul-key"],
)
def test_postgres_store_refused_row_is_dropped_alone(
    postgres_url: str, poison: tuple[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    store_refused_row_is_dropped_alone(postgres_url, poison, capsys)


@pytest.fixture(scope="module")
def cluster() -> Iterator[PostgresCluster]:
    """A PostgreSQL cluster of this module's own, which the tests stop and restart."""
    pg = PostgresCluster()
    pg.start()
    try:
        yield pg
    finally:
        pg.remove()


@pytest.fixture
def own_db(cluster: PostgresCluster) -> str:
    name = f"o_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"{cluster.url}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{cluster.url}/{name}"


def _outage(cluster: PostgresCluster, after: threading.Event, seconds: float) -> threading.Thread:
    """Stop the server (-m immediate) once `after` is set, start it again `seconds` later."""

    def run() -> None:
        after.wait(60)
        cluster.stop()
        time.sleep(seconds)
        cluster.start()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.slow
@pytest.mark.parametrize("spool_limit", [None, 20_000], ids=["buffered", "spooled"])
def test_server_restart_mid_loop_loses_nothing(
    cluster: PostgresCluster, own_db: str, spool_limit: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """F11: 120,000 log_metric calls at ~25,000/s with the server down for ~4 s in the middle.
    Before: log_metric raised StoreUnavailableError at 50,000 buffered points and most points
    were lost. `spooled` lowers the spool cap so the outage goes through the spool file."""
    if spool_limit:
        monkeypatch.setattr(metric_buffer, "_SPOOL_LIMIT", spool_limit)
    store = RunStore(own_db)
    midway = threading.Event()
    killer = _outage(cluster, midway, 3.0)
    run = mj.start_run("outage", store=store)
    for i in range(120_000):
        run.log_metric("loss", float(i), step=i)  # must never raise
        if i == 30_000:
            midway.set()
        if i % 25 == 0:
            time.sleep(0.001)
    killer.join()
    run.end()
    lost = 120_000 - len(store.metric_history(run.run_id, "loss"))
    print(
        f"F11 outage ({'spool cap ' + str(spool_limit) if spool_limit else 'buffered'}): "
        f"{lost} of 120000 lost"
    )
    assert lost == 0
    assert store.get_run(run.run_id).status == "finished"
    assert spool.pending(store.url) == []


@pytest.mark.slow
def test_server_down_at_run_end_back_a_second_later_loses_nothing(
    cluster: PostgresCluster, own_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """F12: before, end() raised and dropped its batch (11,900 of 28,500 lost; run killed)."""
    store = RunStore(own_db)
    run = mj.start_run("end-outage", store=store)
    for i in range(28_500):
        run.log_metric("loss", float(i), step=i)
    cluster.stop()
    back = threading.Timer(1.0, cluster.start)
    back.start()
    run.end()  # retries while the server comes back; never raises
    back.join()
    # On a loaded machine the restart can outlast end()'s retries: then the points wait in the
    # spool, which the next open replays (once the server answers: it may still be starting).
    # Either way none may be missing afterwards.
    deadline = time.monotonic() + 60
    replay_spool(store)
    while spool.pending(store.url) and time.monotonic() < deadline:
        time.sleep(0.5)
        replay_spool(store)
    assert spool.pending(store.url) == []
    assert len(store.metric_history(run.run_id, "loss")) == 28_500
    assert store.get_run(run.run_id).status == "finished"


@pytest.mark.slow
def test_run_ended_during_a_long_outage_is_spooled_and_replayed_by_the_next_process(
    cluster: PostgresCluster, own_db: str, tmp_path: str
) -> None:
    """The server stays down past end()'s retries: the points and the end go to the spool, and
    the next process that starts a run on this store writes them (W&B's offline-then-sync)."""
    store = RunStore(own_db)
    run = mj.start_run("long-outage", store=store)
    for i in range(10_000):
        run.log_metric("loss", float(i), step=i)
    cluster.stop()
    try:
        run.end("finished")  # store away for good: spooled, no exception
        files = spool.pending(store.url)
        assert files, "end() should have spooled the run"
    finally:
        cluster.start()
    code = "import sys, mlops_jupyter as mj\nmj.start_run('next', store=sys.argv[1]).end()\n"
    done = subprocess.run(
        [sys.executable, "-c", code, own_db],
        capture_output=True,
        text=True,
        env={**os.environ},
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    fresh = RunStore(own_db)
    assert len(fresh.metric_history(run.run_id, "loss")) == 10_000
    record = fresh.get_run(run.run_id)
    assert record.status == "finished" and record.end_time is not None
    assert spool.pending(store.url) == []


_EXIT_DOWN = """
import sys, mlops_jupyter as mj
run = mj.start_run("exit-while-down", store=sys.argv[1])
for i in range(5000):
    run.log_metric("loss", float(i), step=i)
print(run.run_id, flush=True)
sys.stdin.readline()  # the test stops the server now; then the process exits, run still open
"""


@pytest.mark.slow
def test_exit_while_the_server_is_down_spools_and_the_next_open_replays(
    cluster: PostgresCluster, own_db: str
) -> None:
    """Before: the exit hook printed 'could not close run' and the buffered points were lost."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _EXIT_DOWN, own_db],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    run_id = proc.stdout.readline().strip()
    cluster.stop()
    try:
        _, err = proc.communicate("go\n", timeout=120)
    finally:
        cluster.start()
    assert proc.returncode == 0 and "Traceback" not in err, err
    assert "saved to" in err
    store = RunStore(own_db)
    mj.get_run(run_id, store=store)  # a read in any process writes the spool first
    assert len(store.metric_history(run_id, "loss")) == 5000
    assert store.get_run(run_id).status == "finished"


@pytest.mark.slow
def test_runs_ls_replays_the_spool_before_it_lists(cluster: PostgresCluster, own_db: str) -> None:
    """`runs ls` after an outage lists what was spooled during it (the next open replays)."""
    store = RunStore(own_db)
    run = mj.start_run("listed-after-outage", store=store)
    for i in range(500):
        run.log_metric("loss", float(i), step=i)
    cluster.stop()
    try:
        run.end("finished")  # the server is away: spooled
        assert spool.pending(store.url)
    finally:
        cluster.start()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mlops_jupyter.cli",
            "--store",
            own_db,
            "runs",
            "ls",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    listed = {r["run_id"]: r for r in json.loads(done.stdout)}
    assert listed[run.run_id]["status"] == "finished"
    assert listed[run.run_id]["metrics.loss"] == 499.0
    assert spool.pending(store.url) == []
