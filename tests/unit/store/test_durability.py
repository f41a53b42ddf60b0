"""Many writers at once, and processes that die: nothing logged is lost, nothing stays running."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from mlops_jupyter.store import RunStore

_WRITER = textwrap.dedent("""
    import sys, mlops_jupyter as mj
    with mj.start_run(f"writer-{sys.argv[1]}") as run:
        for i in range(5000):
            run.log_metric("loss", 1.0 / (i + 1))
    print(run.run_id)
""")


@pytest.mark.slow
def test_eight_processes_log_5000_metrics_each_into_one_sqlite_store(store_url: str) -> None:
    env = {**os.environ, "MLOPS_JUPYTER_STORE": store_url, "MLOPS_JUPYTER_FLUSH_INTERVAL": "0.05"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(i)],
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for i in range(8)
    ]
    results = [p.communicate(timeout=240) for p in procs]
    for proc, (_out, err) in zip(procs, results):
        assert proc.returncode == 0, err
        assert "locked" not in err and "busy" not in err.lower()
    store = RunStore(store_url)
    run_ids = [out.strip() for out, _ in results]
    assert store.info()["metrics_count"] == 40_000
    for run_id in run_ids:
        record = store.get_run(run_id)
        assert record.status == "finished"
        assert record.metrics["loss"] == pytest.approx(1 / 5000)
        assert len(store.metric_history(run_id, "loss")) == 5000


_VICTIM = textwrap.dedent("""
    import sys, time, mlops_jupyter as mj
    run = mj.start_run("victim")
    for i in range(100):
        run.log_metric("loss", float(i))
    run.flush()
    print(run.run_id, flush=True)
    run.log_metric("unflushed", 1.0)
    time.sleep(60)
""")


def test_a_sigkilled_run_is_marked_killed_and_keeps_flushed_metrics(store_url: str) -> None:
    env = {**os.environ, "MLOPS_JUPYTER_STORE": store_url, "MLOPS_JUPYTER_FLUSH_INTERVAL": "30"}
    proc = subprocess.Popen(
        [sys.executable, "-c", _VICTIM], env=env, text=True, stdout=subprocess.PIPE
    )
    run_id = proc.stdout.readline().strip()
    assert RunStore(store_url).get_run(run_id).status == "running"  # alive: left alone
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    store = RunStore(store_url)  # the next open finds the dead pid
    record = store.get_run(run_id)
    assert record.status == "killed"
    assert "died" in record.error
    assert len(store.metric_history(run_id, "loss")) == 100
    assert record.end_time is not None


def test_a_run_of_another_host_is_killed_only_after_its_heartbeat_goes_stale(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import update

    from mlops_jupyter.store import schema

    store = RunStore(store_url)
    run_id = store.create_run(name="remote")
    store._write(lambda conn: conn.execute(update(schema.runs).values(host="elsewhere")))
    assert RunStore(store_url).get_run(run_id).status == "running"
    monkeypatch.setenv("MLOPS_JUPYTER_HEARTBEAT_TIMEOUT", "0")
    assert RunStore(store_url).get_run(run_id).status == "killed"


def test_process_exit_ends_open_runs(store_url: str) -> None:
    code = (
        "import mlops_jupyter as mj; r = mj.start_run('open'); mj.log_metric('m', 1); "
        "print(r.run_id)"
    )
    env = {**os.environ, "MLOPS_JUPYTER_STORE": store_url}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, text=True, capture_output=True, check=True
    ).stdout.strip()
    record = RunStore(store_url).get_run(out)
    assert record.status == "finished" and record.metrics == {"m": 1.0}
    code = "import mlops_jupyter as mj; r = mj.start_run('crash'); print(r.run_id); 1/0"
    done = subprocess.run([sys.executable, "-c", code], env=env, text=True, capture_output=True)
    assert done.returncode == 1
    assert RunStore(store_url).get_run(done.stdout.strip()).status == "failed"
