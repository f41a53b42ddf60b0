"""Sweeps on the warm kernel pool: grid with --jobs 2, retries, --resume, kernel start retries."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from mlops_jupyter.cli.main import main
from mlops_jupyter.errors import KernelStartError
from mlops_jupyter.execution import KernelPool, sweep_notebook
from mlops_jupyter.execution.job import prepare_job
from mlops_jupyter.execution.points import random_points
from mlops_jupyter.store import open_store
from tests.support.nbhelpers import copy_notebook


def _children(sweep_id: str) -> list:
    return open_store().search_runs(parent_run_id=sweep_id, order_by="start_time")


def test_grid_sweep_with_two_jobs_records_each_point_once(tmp_path, capsys):
    nb = copy_notebook("typed.ipynb", tmp_path)
    code = main(
        [
            "sweep",
            str(nb),
            "--grid",
            "lr=0.5,2",
            "--grid",
            "epochs=1,3",
            "--jobs",
            "2",
            "-p",
            "name",
            "swept",
            "--name",
            "grid",
            "--output-dir",
            str(tmp_path / "out"),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "4/4 points finished" in out and "lr" in out and "score" in out
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == [f"typed-{i}.ipynb" for i in range(4)]
    (sweep,) = open_store().search_runs(filter="name == 'grid'")
    assert sweep.status == "finished" and sweep.tags["mlops.kind"] == "sweep"
    children = _children(sweep.run_id)
    assert len(children) == 4
    by_point = {int(c.tags["mlops.sweep.point"]): c for c in children}
    expected = [(0.5, 1), (0.5, 3), (2.0, 1), (2.0, 3)]
    for index, (lr, epochs) in enumerate(expected):
        child = by_point[index]
        assert child.status == "finished" and child.tags["mlops.attempts"] == "1"
        assert (child.params["lr"], child.params["epochs"], child.params["name"]) == (
            lr,
            epochs,
            "swept",
        )
        assert type(child.params["epochs"]) is int
        assert child.metrics["score"] == pytest.approx(lr * epochs)
    # each point ran in a kernel of its own: the runs tracked inside have distinct pids
    inner = [r for c in children for r in open_store().search_runs(parent_run_id=c.run_id)]
    assert len(inner) == 4 and len({r.pid for r in inner}) == 4


def test_failing_point_is_retried_then_resume_completes_it(tmp_path, capsys):
    nb = copy_notebook("fail.ipynb", tmp_path)
    flag = tmp_path / "still-broken"
    flag.write_text("x")
    result = sweep_notebook(
        nb,
        [{"x": 1}, {"x": 2}, {"x": 3}],
        jobs=2,
        retries=1,
        parameters={"fail_on": 2, "flag_file": str(flag)},
    )
    assert [p.status for p in result.points] == ["finished", "failed", "finished"]
    assert [p.attempts for p in result.points] == [1, 2, 1]
    assert "boom at x=2" in result.points[1].error
    sweep = open_store().get_run(result.sweep_run_id)
    assert sweep.status == "failed" and "--resume" in sweep.error
    done_before = {c.run_id: c.end_time for c in _children(sweep.run_id) if c.status == "finished"}

    flag.unlink()  # the cause is fixed: resume re-runs only the failed point
    assert main(["sweep", "--resume", sweep.run_id[:10]]) == 0
    out = capsys.readouterr().out
    assert "3/3 points finished (2 already done before resume)" in out
    children = _children(sweep.run_id)
    assert len(children) == 3 and all(c.status == "finished" for c in children)
    assert {c.run_id: c.end_time for c in children if c.run_id in done_before} == done_before
    fixed = next(c for c in children if c.tags["mlops.sweep.point"] == "1")
    assert fixed.tags["mlops.attempts"] == "3" and fixed.error is None
    assert fixed.metrics["x2"] == 4.0
    assert open_store().get_run(sweep.run_id).status == "finished"


def _flaky_kernelspec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failures: int) -> str:
    """A kernelspec whose first `failures` launches exit at once (like a port collision)."""
    script = tmp_path / "flaky_kernel.py"
    script.write_text(
        "import os, sys\n"
        f"count = os.path.join({str(tmp_path)!r}, 'launches')\n"
        "n = len(open(count).read()) if os.path.exists(count) else 0\n"
        "open(count, 'a').write('x')\n"
        f"if n < {failures}:\n    sys.exit('Address already in use')\n"
        "os.execv(sys.executable,\n"
        "         [sys.executable, '-m', 'ipykernel_launcher', '-f', sys.argv[1]])\n"
    )
    spec = tmp_path / "share" / "jupyter" / "kernels" / "flaky"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, str(script), "{connection_file}"],
                "display_name": "flaky",
                "language": "python",
            }
        )
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "share" / "jupyter"))
    return "flaky"


def test_kernel_start_failures_are_retried(tmp_path, monkeypatch):
    name = _flaky_kernelspec(tmp_path, monkeypatch, failures=1)
    with KernelPool(name, 1, start_timeout=20, start_attempts=3) as pool:
        pool.expect(1)
        km = pool.acquire(timeout=60)
        assert km.has_kernel and pool.started == 1 and pool.start_failures == 1
        pool.discard(km)


def test_kernel_that_never_starts_is_one_clear_error(tmp_path, monkeypatch):
    name = _flaky_kernelspec(tmp_path, monkeypatch, failures=99)
    with KernelPool(name, 1, start_timeout=20, start_attempts=2) as pool:
        pool.expect(1)
        with pytest.raises(KernelStartError, match="could not start kernel 'flaky' after 2"):
            pool.acquire(timeout=60)


def test_random_sweep_records_its_seed(tmp_path, capsys):
    nb = copy_notebook("typed.ipynb", tmp_path)
    code = main(
        [
            "sweep",
            str(nb),
            "--random",
            "2",
            "--range",
            "lr=0.1:0.2",
            "--range",
            "epochs=1:3",
            "--jobs",
            "2",
            "--name",
            "rnd",
        ]
    )
    assert code == 0, capsys.readouterr().err
    (sweep,) = open_store().search_runs(filter="name == 'rnd'")
    children = {
        int(c.tags["mlops.sweep.point"]): c
        for c in open_store().search_runs(parent_run_id=sweep.run_id)
    }
    assert sorted(children) == [0, 1]
    assert all(
        0.1 <= c.params["lr"] <= 0.2 and c.params["epochs"] in (1, 2, 3) for c in children.values()
    )
    # the recorded seed is the one that drew these points: the sweep can be drawn again
    again = random_points(
        2,
        ["lr=0.1:0.2", "epochs=1:3"],
        prepare_job(nb).schema,
        seed=int(sweep.tags["mlops.sweep.seed"]),
    )
    assert [{k: children[i].params[k] for k in ("lr", "epochs")} for i in (0, 1)] == again


def test_points_file_sweep_with_a_per_point_timeout(tmp_path, capsys):
    nb = copy_notebook("slow.ipynb", tmp_path)
    points = tmp_path / "points.yaml"
    points.write_text("- {seconds: 0}\n- {seconds: 60}\n")
    code = main(
        [
            "sweep",
            str(nb),
            "--points",
            str(points),
            "--jobs",
            "2",
            "--timeout",
            "3",
            "--name",
            "timed",
        ]
    )
    out = capsys.readouterr().out
    assert code == 1 and "1/2 points finished" in out and "timed out after 3s" in out
    (sweep,) = open_store().search_runs(filter="name == 'timed'")
    statuses = {
        c.params["seconds"]: c.status for c in open_store().search_runs(parent_run_id=sweep.run_id)
    }
    assert statuses == {0: "finished", 60: "failed"}
