"""The load test of issue 9: 16 writer processes x 20,000 metrics, with readers, the runs route
and a PostgreSQL restart in the middle; nothing lost, no error a user would see.

Each writer is a real Python process (tests/load/load_worker.py) logging 5 params and 2 keys x
10,000 steps through the public API inside ``with mj.start_run()``, paced so that the writers
end between 6 and 16 s after a common start signal. Two reader processes call ``mj.runs()`` in a
loop meanwhile. Counts come from a fresh process opening the store afterwards, as the user's
next session would. No mocks. The same load, with more faults and MLflow's figures, is
bench/bench_reliability.py.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from tests.load.harness import LoadResult, LoadSpec, RoutePoller, restart_at, run_load

pytestmark = pytest.mark.slow

WRITERS, METRICS, KEYS, PARAMS = 16, 20_000, 2, 5


def _report(name: str, result: LoadResult, tmp_path: Path) -> None:
    """Print the figures (shown with -s) and keep them next to the workers' logs."""
    summary = result.summary()
    (tmp_path / f"{name}.json").write_text(json.dumps(summary, indent=1, default=str))
    print(f"\n{name}: {json.dumps(summary, default=str)}")


def _assert_nothing_lost(result: LoadResult) -> None:
    assert result.user_errors == [], result.user_errors[:5]
    assert len(result.runs) == WRITERS, result.statuses()
    per_key = METRICS // KEYS
    bad = [
        r
        for r in result.runs
        if r["rows"] != {"acc": per_key, "loss": per_key}
        or not r["contiguous"]
        or r["params"] != PARAMS
    ]
    assert not bad, f"{len(bad)} runs incomplete, e.g. {bad[0]}; {result.missing} metrics missing"
    assert result.stored == WRITERS * METRICS
    assert result.statuses() == {"finished": WRITERS}, [
        r["error"] for r in result.runs if r["status"] != "finished"
    ][:3]


def test_sqlite_16_writers_with_readers_and_runs_route(tmp_path: Path) -> None:
    store = str(tmp_path / "store" / "runs.db")
    route = RoutePoller(store, tmp_path / "server")
    spec = LoadSpec(
        store=store,
        workdir=tmp_path / "load",
        writers=WRITERS,
        metrics=METRICS,
        keys=KEYS,
        params=PARAMS,
    )
    result = run_load(spec, route=route)
    _report("sqlite", result, tmp_path)
    _assert_nothing_lost(result)
    assert result.reader_errors == [], result.reader_errors[:3]
    assert all(r.get("calls", 0) > 0 for r in result.readers), result.readers
    assert result.route["calls"] > 0 and result.route["errors"] == 0, result.route


@pytest.mark.postgres
def test_postgres_16_writers_survive_a_restart_in_the_middle(tmp_path: Path) -> None:
    """PostgreSQL is stopped (immediate) 5 s into the load and started again 4 s later on the
    same port: writers are logging, and several of them end their run while it is down."""
    import psycopg

    from tests.conftest import PostgresCluster

    cluster = PostgresCluster()
    cluster.start()
    try:
        db = f"load_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(f"{cluster.url}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{db}"')
        spec = LoadSpec(
            store=f"{cluster.url}/{db}",
            workdir=tmp_path / "load",
            writers=WRITERS,
            metrics=METRICS,
            keys=KEYS,
            params=PARAMS,
        )
        result = run_load(spec, fault=restart_at(cluster, after=5.0, down=4.0))
        _report("postgres-restart", result, tmp_path)
        assert result.fault.get("down_s", 0) >= 4.0, result.fault  # the fault did happen
        _assert_nothing_lost(result)
        # A read while the database restarts waits for it (within MLOPS_JUPYTER_STORE_TIMEOUT):
        # no reader may see an error, before, during or after the outage.
        assert result.reader_errors == [], result.reader_errors[:3]
        assert all(r.get("calls", 0) > 0 for r in result.readers), result.readers
    finally:
        cluster.remove()
