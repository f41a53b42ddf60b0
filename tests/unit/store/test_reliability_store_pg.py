"""A frozen PostgreSQL server (SIGSTOP on all its processes) gives a timeout error within the
bound instead of a hang, and the store works again once the server runs (issue 9, D12)."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
import pytest

from mlops_jupyter.errors import StoreUnavailableError
from mlops_jupyter.store import RunStore
from tests.conftest import PostgresCluster

pytestmark = pytest.mark.postgres

TIMEOUT = 2  # MLOPS_JUPYTER_STORE_TIMEOUT for these tests, seconds
BOUND = 3 * TIMEOUT + 2  # what "within the bound" means here, seconds


def _cluster_pids(cluster: PostgresCluster) -> list[int]:
    postmaster = int((cluster.data / "db" / "postmaster.pid").read_text().split()[0])
    return [postmaster, *(p.pid for p in psutil.Process(postmaster).children(recursive=True))]


def _timed(call: Callable[[], Any], wait: float) -> tuple[BaseException | None, float, bool]:
    """Run `call` in a thread; (its exception, seconds taken, whether it was still hanging)."""
    out: dict[str, Any] = {}

    def target() -> None:
        started = time.monotonic()
        try:
            call()
        except BaseException as err:
            out["err"] = err
        out["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(wait)
    return out.get("err"), out.get("seconds", wait), thread.is_alive()


@pytest.fixture
def cluster() -> PostgresCluster:
    own = PostgresCluster()
    own.start()
    yield own
    own.remove()


def test_a_frozen_server_is_reported_within_the_timeout(
    cluster: PostgresCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLOPS_JUPYTER_STORE_TIMEOUT", str(TIMEOUT))
    url = f"{cluster.url}/postgres"
    store = RunStore(url, blob_root=str(tmp_path / "blobs"))
    run_id = store.create_run(name="before-the-freeze")
    pids = _cluster_pids(cluster)
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        err, seconds, hanging = _timed(lambda: store.log_params(run_id, {"a": 1}), 20)
        assert not hanging, "a write to a frozen server hung for 20 s"
        assert isinstance(err, StoreUnavailableError), repr(err)
        assert f"did not answer within {TIMEOUT} s" in str(err)
        assert "MLOPS_JUPYTER_STORE_TIMEOUT" in str(err)
        assert seconds < BOUND, f"took {seconds:.1f} s"
        err, seconds, hanging = _timed(lambda: RunStore(url), 20)  # a fresh connect, too
        assert not hanging, "opening a frozen server's store hung for 20 s"
        assert isinstance(err, StoreUnavailableError), repr(err)
        assert seconds < BOUND, f"open took {seconds:.1f} s"
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGCONT)
    store.log_params(run_id, {"a": 2})  # works again once the server runs
    assert store.get_run(run_id).params == {"a": 2}
    store.dispose()


def test_a_restarted_server_is_reconnected_without_an_error(
    cluster: PostgresCluster, tmp_path: Path
) -> None:
    """Without pool_pre_ping, the first statement on a pooled connection to a restarted server
    fails; that is retried once on a new connection, so the caller never sees it."""
    store = RunStore(f"{cluster.url}/postgres", blob_root=str(tmp_path / "blobs"))
    run_id = store.create_run(name="r")
    cluster.stop()
    cluster.start()
    store.log_params(run_id, {"after": "restart"})
    assert store.get_run(run_id).params == {"after": "restart"}
    store.dispose()


@pytest.mark.postgres
def test_a_read_during_a_restart_waits_for_the_server_instead_of_failing(
    tmp_path: Path,
) -> None:
    """Readers (`mj.runs()`, `runs ls`, the panel) saw StoreUnavailableError for every call
    while PostgreSQL restarted; now a read waits for it, up to MLOPS_JUPYTER_STORE_TIMEOUT."""
    cluster = PostgresCluster()
    cluster.start()
    try:
        store = RunStore(f"{cluster.url}/postgres")
        store.create_run(name="before")
        cluster.stop()
        threading.Timer(2.0, cluster.start).start()
        started = time.monotonic()
        names = [r.name for r in store.search_runs()]
        assert names == ["before"]
        assert time.monotonic() - started >= 1.5  # it did wait for the restart
        store.dispose()
    finally:
        cluster.remove()
