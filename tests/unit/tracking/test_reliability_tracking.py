"""Tracking reliability: bad metrics refused at the call, store refusals and outages never lose
the run's other metrics, and each thread has its own active run (issue 9: D3, D4, D5, D24)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

import mlops_jupyter as mj
from mlops_jupyter.errors import InvalidMetricError
from mlops_jupyter.store import RunStore

#: (key, value, step) that every backend must refuse at the log_metric call (the probe's D3).
POISON_CALLS = {
    "key None": (None, 0.5, 0),
    "key of 300 chars": ("k" * 300, 0.5, 0),
    "NUL in key": ("a\x00b", 0.5, 0),
    "empty key, float value": ("", 0.5, 0),
    "int key, float value": (123, 0.5, 0),
    "step 2**63": ("s", 0.5, 2**63),
    "step 2**70": ("s", 0.5, 2**70),
    "step below -2**63": ("s", 0.5, -(2**63) - 1),
    "float step": ("s", 0.5, 1.5),
    "int value beyond float range": ("v", 10**400, 0),
    "text value": ("v", "0.5", 0),
}


def refused_at_call_keeps_the_run(store_url: str, key: Any, value: Any, step: Any) -> None:
    """The bad call raises InvalidMetricError naming the problem; nothing else is lost."""
    store = RunStore(store_url)
    with mj.start_run("poison", store=store) as run:
        for i in range(1000):
            run.log_metric("good", float(i), step=i)
        with pytest.raises(InvalidMetricError) as info:
            run.log_metric(key, value, step=step)
        for i in range(1000, 2000):
            run.log_metric("good", float(i), step=i)
    assert "metric" in str(info.value)
    record = store.get_run(run.run_id)
    assert record.status == "finished"
    assert len(store.metric_history(run.run_id, "good")) == 2000


def store_refused_row_is_dropped_alone(
    store_url: str, poison: tuple[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    """A row only the store can refuse (validation bypassed) costs that row, nothing else."""
    store = RunStore(store_url)
    run = mj.start_run("store-poison", store=store)
    for i in range(1000):
        run.log_metric("good", float(i), step=i)
    bad_key, bad_step = poison
    # bypasses the checks of log_metric
    run.metric_buffer._pending.append((run.run_id, bad_key, bad_step, 1.0, time.time()))
    for i in range(1000, 1500):
        run.log_metric("good", float(i), step=i)
    run.flush()  # the refused row must not make the batch fail
    for i in range(1500, 2000):
        run.log_metric("good", float(i), step=i)
    run.end()  # never raises
    err = capsys.readouterr().err
    assert err.count("dropped") == 1 and repr(bad_key)[:40] in err and str(bad_step) in err
    assert store.get_run(run.run_id).status == "finished"
    assert len(store.metric_history(run.run_id, "good")) == 2000


@pytest.mark.parametrize("case", list(POISON_CALLS))
def test_sqlite_poison_metric_refused_at_the_call(store_url: str, case: str) -> None:
    refused_at_call_keeps_the_run(store_url, *POISON_CALLS[case])


@pytest.mark.parametrize("poison", [("overflow", 2**63), ("n" * 300, 3)], ids=["step", "key"])
def test_sqlite_store_refused_row_is_dropped_alone(
    store_url: str, poison: tuple[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    if poison[0] == "n" * 300:  # SQLite stores long keys; a NOT NULL key is its refusal
        poison = (None, 3)  # type: ignore[assignment]
    store_refused_row_is_dropped_alone(store_url, poison, capsys)


def test_numbers_of_every_kind_are_still_accepted(store_url: str) -> None:
    """Validation refuses only what cannot be stored: ints, bools, numpy scalars, inf pass."""
    np = pytest.importorskip("numpy")
    store = RunStore(store_url)
    with mj.start_run("kinds", store=store) as run:
        for i, value in enumerate([1, True, np.float32(0.5), np.int64(3), float("inf"), 2**62]):
            run.log_metric("m", value, step=i)
        run.log_metric("big-step", 1.0, step=2**63 - 1)
        run.log_metric("numpy-step", 1.0, step=np.int64(7))
    assert len(store.metric_history(run.run_id, "m")) == 6
    assert store.metric_history(run.run_id, "big-step")[0].step == 2**63 - 1


# -- D5: each thread (and asyncio task) has its own active run --------------------------------


def test_three_threads_each_log_into_their_own_run(store_url: str) -> None:
    """Before: t0's 50 points landed 1/2/47 in the runs of t0/t1/t2 (one global stack)."""
    store = RunStore(store_url)
    inside = threading.Barrier(3)
    run_ids: dict[int, str] = {}
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            with mj.start_run(f"t{n}", store=store) as run:
                run_ids[n] = run.run_id
                inside.wait(10)  # all three runs are active at once
                for step in range(50):
                    mj.log_metric(f"metric_of_t{n}", float(step), step=step)
                    time.sleep(0.001)
                inside.wait(10)
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    for n, run_id in run_ids.items():
        record = store.get_run(run_id)
        assert set(record.metrics) == {f"metric_of_t{n}"}
        assert len(store.metric_history(run_id, f"metric_of_t{n}")) == 50
        assert record.status == "finished" and record.parent_run_id is None


def test_a_run_started_in_another_thread_has_no_parent(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: a server action's run became the child of whatever run another thread had
    active, and was ended with it."""
    store = RunStore(store_url)
    found: dict[str, Any] = {}

    def in_thread(name: str) -> None:
        found[name] = (mj.active_run(), mj.start_run(name, store=store))

    with mj.start_run("main", store=store) as main:
        worker = threading.Thread(target=in_thread, args=("orphan",))
        worker.start()
        worker.join()
        active_there, orphan = found["orphan"]
        assert active_there is None and orphan.parent_run_id is None
        monkeypatch.setenv("MLOPS_JUPYTER_PARENT_RUN", main.run_id)
        worker = threading.Thread(target=in_thread, args=("adopted",))
        worker.start()
        worker.join()
        _, adopted = found["adopted"]
        assert adopted.parent_run_id == main.run_id
        assert mj.active_run() is main  # the threads' runs did not stack on this one
    assert store.get_run(orphan.run_id).status == "running"  # main's end left it alone
    assert store.get_run(adopted.run_id).status == "finished"  # its explicit child: ended
    orphan.end()


def test_asyncio_tasks_each_have_their_own_active_run(store_url: str) -> None:
    import asyncio

    store = RunStore(store_url)

    async def task(n: int) -> str:
        with mj.start_run(f"task{n}", store=store) as run:
            for step in range(20):
                mj.log_metric(f"m{n}", float(step), step=step)
                await asyncio.sleep(0.001)  # the other task runs in between
            return run.run_id

    async def both() -> list[str]:
        return await asyncio.gather(task(0), task(1))

    for n, run_id in enumerate(asyncio.run(both())):
        assert set(store.get_run(run_id).metrics) == {f"m{n}"}
        assert store.get_run(run_id).parent_run_id is None


def test_a_run_stays_active_across_fresh_contexts_of_one_thread(store_url: str) -> None:
    """Kernels that run each cell in a fresh context (ipykernel 7.0.0, cells with `await`) must
    still see the run a previous cell started."""
    import contextvars

    store = RunStore(store_url)
    seen: list[Any] = []

    def cells() -> None:
        run = contextvars.Context().run(mj.start_run, "cell-1", store=store)
        seen.append(contextvars.Context().run(mj.active_run) is run)
        contextvars.Context().run(mj.log_metric, "x", 1.0)
        contextvars.Context().run(mj.end_run)
        seen.append(contextvars.Context().run(mj.active_run))
        seen.append(store.get_run(run.run_id).metrics)

    worker = threading.Thread(target=cells)
    worker.start()
    worker.join()
    assert seen == [True, None, {"x": 1.0}]


# -- D24: the flusher is stopped before the interpreter tears down -----------------------------

_EXIT_WRITER = """
import atexit, sys, threading, time
def check():  # registered first, so it runs after mlops-jupyter's exit hook
    alive = [t.name for t in threading.enumerate() if t.name == "mlops-flush" and t.is_alive()]
    print("flusher alive at exit:", alive, file=sys.stderr)
atexit.register(check)
import mlops_jupyter as mj
from mlops_jupyter.store import RunStore
from mlops_jupyter.tracking import context
context._HEARTBEAT_SECONDS = 0.0  # a heartbeat on every flush tick
beat = RunStore.heartbeat
def slow_heartbeat(self, ids):  # a slow store: the flusher is busy when the process exits
    time.sleep(0.3)
    beat(self, ids)
RunStore.heartbeat = slow_heartbeat
run = mj.start_run("exit")
for i in range(20000):
    run.log_metric("loss", float(i), step=i)
time.sleep(0.5)
print(run.run_id)
"""


def test_exit_stops_the_flusher_before_ending_runs(store_url: str) -> None:
    """Before: close() only set an event, so the daemon flusher went on writing while later
    atexit hooks ran (1 in ~100 writers printed an atexit traceback). The heartbeat is slowed
    (patched in the child) so that the flusher is surely busy at exit."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "MLOPS_JUPYTER_STORE": store_url, "MLOPS_JUPYTER_FLUSH_INTERVAL": "0.01"}
    done = subprocess.run(
        [sys.executable, "-c", _EXIT_WRITER],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "flusher alive at exit: []" in done.stderr
    assert "Exception ignored" not in done.stderr and "Traceback" not in done.stderr
    store = RunStore(store_url)
    run_id = done.stdout.strip()
    assert store.get_run(run_id).status == "finished"
    assert len(store.metric_history(run_id, "loss")) == 20000


# -- the spool file: format, replay, concurrency -------------------------------------------


def test_spool_replay_is_idempotent_and_skips_a_torn_line(store_url: str) -> None:
    """A writer killed mid-line leaves a torn last line: every complete line still lands, and
    replaying rows that are already stored changes nothing."""
    import fcntl

    from mlops_jupyter.store import spool

    store = RunStore(store_url)
    run_id = store.create_run(name="spooled")
    rows = [(run_id, "loss", i, float(i), 1.0 + i) for i in range(100)]
    store.log_metrics(rows[:10])  # some were written before the outage
    path = spool.append(store.url, run_id, rows)
    spool.append(store.url, run_id, (), end={"status": "finished", "error": None, "end_time": 5.0})
    with open(path, "a") as fh:
        fh.write('{"run": "' + run_id + '", "metrics": [["loss", 100, 1')  # torn
    assert spool.summary(store.url)["spool_files"] == 1
    with open(path) as held:  # while a replayer holds the file, a writer uses a file of its own
        fcntl.flock(held, fcntl.LOCK_EX)
        other = spool.append(store.url, run_id, [(run_id, "acc", 0, 0.5, 1.0)])
    assert other != path and len(spool.pending(store.url)) == 2
    report = spool.replay(store)
    assert report.files == 2 and report.metrics == 101 and report.ended == [run_id]
    assert spool.replay(store).files == 0 and spool.pending(store.url) == []
    assert len(store.metric_history(run_id, "loss")) == 100
    record = store.get_run(run_id)
    assert record.status == "finished" and record.end_time == 5.0
    assert record.metrics == {"loss": 99.0, "acc": 0.5}


def test_a_run_ending_on_a_full_disk_spools_into_the_project_and_loses_nothing(
    tmp_path: Path,
) -> None:
    """F15: a SQLite store on a full tmpfs lost 50,300 of 80,000 points (the spool sat on the
    same full disk). Now the spool falls back to the project's .mlops/spool, and the next open
    after space is freed writes every point."""
    import subprocess

    from mlops_jupyter.store import RunStore, spool

    disk = tmp_path / "small"
    disk.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(disk)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"this machine refuses to mount a tmpfs: {done.stderr.strip()}")
    url = str(disk / "s" / "runs.db")
    try:
        store = RunStore(url, blob_root=str(disk / "blobs"))
        run = mj.start_run("full-disk", store=store)
        with open(disk / "filler", "wb", buffering=0) as fh:  # unbuffered: close() cannot fail
            try:
                while True:
                    fh.write(b"x" * 65536)
                    fh.flush()
            except OSError:
                pass
        for i in range(20_000):
            run.log_metric("loss", float(i), step=i)  # never raises
        run.end()  # the store cannot take them: spooled into the project folder
        files = spool.pending(store.url)
        # in the project folder, or beside the store if SQLite freed a page for it meanwhile
        assert files, "end() should have spooled the run"
        (disk / "filler").unlink()
        from mlops_jupyter.tracking.context import replay_spool

        deadline = time.monotonic() + 30  # SQLite may report the full disk for a moment more
        while spool.pending(store.url) and time.monotonic() < deadline:
            mj.runs(store=store)  # the next read replays the spool (quietly, if it cannot yet)
            if spool.pending(store.url):
                time.sleep(0.5)
        replay_spool(store, quiet=False)  # no-op once written; raises if it still cannot
        assert len(store.metric_history(run.run_id, "loss")) == 20_000
        assert store.get_run(run.run_id).status == "finished"
        assert spool.pending(store.url) == []
        store.dispose()
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)
