"""Reliability of the server actions (issue 9): convert never deletes a folder it did not write,
caps and cancel for background jobs, independent top-level runs, bounded values, 400s not 500s.

Everything runs on a real jupyter_server (pytest-jupyter's jp_fetch) over a real SQLite store;
the kernel tests execute notebooks in real IPython kernels.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import nbformat
import pytest

import mlops_jupyter as mj

NS = "mlops-jupyter"


async def post(jp_fetch, *path, body):
    return await jp_fetch(NS, *path, method="POST", body=json.dumps(body), raise_error=False)


def write_notebook(path: Path, body: str = "total = sum(range(steps))\nprint(total)") -> Path:
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "steps = 3  # how many steps", metadata={"tags": ["parameters"]}
            ),
            nbformat.v4.new_code_cell(body),
        ]
    )
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


# -- D1: convert replaces only a package it wrote ------------------------------------------------


async def test_convert_default_request_keeps_the_users_train_pipeline_folder(jp_fetch, jp_root_dir):
    """The panel's request (notebook_path only) once deleted train_pipeline/ with its data.csv."""
    write_notebook(jp_root_dir / "train.ipynb")
    mine = jp_root_dir / "train_pipeline"
    mine.mkdir()
    (mine / "pipeline.py").write_text("print('mine')\n")
    (mine / "data.csv").write_text("a,b\n1,2\n")
    before = snapshot(jp_root_dir)
    response = await post(jp_fetch, "conversions", body={"notebook_path": "train.ipynb"})
    assert response.code == 400, response.body
    message = json.loads(response.body)["message"]
    assert "train_pipeline" in message and "not written by mlops-jupyter" in message
    assert "another output folder" in message and "remove that folder yourself" in message
    assert snapshot(jp_root_dir) == before


async def test_convert_into_a_folder_holding_the_notebook_is_refused(jp_fetch, jp_root_dir):
    """`output_dir: "myproj"` (the user's project, notebook inside) was deleted whole."""
    proj = jp_root_dir / "myproj"
    write_notebook(proj / "train.ipynb")
    (proj / "pipeline.py").write_text("print('mine')\n")
    (proj / "notes.txt").write_text("notes")
    before = snapshot(jp_root_dir)
    response = await post(
        jp_fetch,
        "conversions",
        body={"notebook_path": "myproj/train.ipynb", "output_dir": "myproj"},
    )
    assert response.code == 400, response.body
    assert "contains the notebook being converted" in json.loads(response.body)["message"]
    assert snapshot(jp_root_dir) == before


@pytest.mark.parametrize("marked", [False, True], ids=["plain-root", "root-with-marker"])
async def test_convert_into_the_server_root_is_refused(jp_fetch, jp_root_dir, marked):
    """`output_dir: "."` deleted the whole server root; a marker file there changes nothing."""
    write_notebook(jp_root_dir / "sub" / "simple.ipynb")
    (jp_root_dir / "pipeline.py").write_text("print('mine')\n")
    (jp_root_dir / "thesis.tex").write_text("years of work")
    (jp_root_dir / "data").mkdir()
    (jp_root_dir / "data" / "raw.csv").write_text("1\n")
    if marked:
        (jp_root_dir / ".mlops-jupyter-package").write_text('{"tool": "mlops-jupyter"}')
    before = snapshot(jp_root_dir)
    response = await post(
        jp_fetch, "conversions", body={"notebook_path": "sub/simple.ipynb", "output_dir": "."}
    )
    assert response.code == 400, response.body
    assert "server's root folder" in json.loads(response.body)["message"]
    assert snapshot(jp_root_dir) == before


async def converted(jp_fetch, body: dict) -> dict:
    """POST a conversion (a background job) and wait for its job to end."""
    response = await post(jp_fetch, "conversions", body=body)
    assert response.code == 202, response.body
    job_id = json.loads(response.body)["job_id"]
    for _ in range(600):
        job = json.loads((await jp_fetch("mlops-jupyter", "jobs", job_id)).body)
        if job["status"] not in ("queued", "running", "cancelling"):
            return job
        await asyncio.sleep(0.2)
    raise AssertionError(f"conversion still running: {job}")


@pytest.mark.kernel
async def test_convert_again_replaces_the_package_it_wrote(jp_fetch, jp_root_dir):
    write_notebook(jp_root_dir / "nb" / "train.ipynb")
    body = {"notebook_path": "nb/train.ipynb"}
    first = await converted(jp_fetch, body)
    assert first["status"] == "finished", first
    package = jp_root_dir / "nb" / "train_pipeline"
    marker = json.loads((package / ".mlops-jupyter-package").read_text())
    assert marker["tool"] == "mlops-jupyter" and marker["notebook"] == "train.ipynb"
    assert marker["version"] == mj.__version__
    (package / "stale.txt").write_text("from an older conversion")
    again = await converted(jp_fetch, body)
    assert again["status"] == "finished", again
    assert again["links"] == {"output_path": "nb/train_pipeline"}
    assert (package / "pipeline.py").is_file() and not (package / "stale.txt").exists()
    assert sorted(p.name for p in (jp_root_dir / "nb").iterdir()) == [
        "train.ipynb",
        "train_pipeline",
    ]


# -- D9: caps, cancel, pools, shutdown ----------------------------------------------------------

SLEEPER = "import time\ntime.sleep(steps)\nprint('slept', steps)"


def kernel_processes() -> list:
    import psutil

    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            cmd = " ".join(child.cmdline())
        except psutil.Error:
            continue
        if "kernelapp" in cmd or "ipykernel" in cmd:
            found.append(child)
    return found


def store_runs(url: str) -> list:
    from mlops_jupyter.store import open_store

    return open_store(url).search_runs(limit=1000)


async def wait_for(predicate, timeout: float = 60.0, interval: float = 0.1):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(interval)


async def job_state(jp_fetch, job_id: str) -> dict:
    return json.loads((await jp_fetch(NS, "jobs", job_id)).body)


async def wait_job(jp_fetch, job_id: str, statuses, timeout: float = 60.0) -> dict:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        job = await job_state(jp_fetch, job_id)
        if job["status"] in statuses:
            return job
        assert loop.time() < deadline, job
        await asyncio.sleep(0.1)


async def test_sweep_jobs_over_the_cpu_count_is_refused(jp_fetch, jp_root_dir, lab_store_url):
    """jobs=32 once booted 32 kernels at once."""
    write_notebook(jp_root_dir / "nb.ipynb")
    response = await post(
        jp_fetch,
        "sweeps",
        body={"notebook_path": "nb.ipynb", "jobs": 32, "points": [{"steps": i} for i in range(32)]},
    )
    assert response.code == 400, response.body
    message = json.loads(response.body)["message"]
    cap = min(os.cpu_count() or 1, 32)
    assert f"jobs 32 is over the limit of {cap}" in message and "CPU" in message
    for jobs in (0, -5, True):
        response = await post(
            jp_fetch,
            "sweeps",
            body={"notebook_path": "nb.ipynb", "jobs": jobs, "points": [{"steps": 1}]},
        )
        assert response.code == 400, (jobs, response.body)
    assert store_runs(lab_store_url) == []  # nothing recorded, no kernel started


async def test_sweep_of_10000_points_is_refused(jp_fetch, jp_root_dir, lab_store_url):
    """A 10,000-point sweep was accepted in 0.04 s."""
    write_notebook(jp_root_dir / "nb.ipynb")
    response = await post(
        jp_fetch, "sweeps", body={"notebook_path": "nb.ipynb", "points": [{"steps": 1}] * 10_000}
    )
    assert response.code == 400, response.body
    assert "10000 points is over the limit of 1000 points" in json.loads(response.body)["message"]
    assert store_runs(lab_store_url) == []


async def test_unknown_job_is_a_404_json(jp_fetch):
    for method in ("GET", "DELETE"):
        response = await jp_fetch(NS, "jobs", "a" * 32, method=method, raise_error=False)
        assert response.code == 404
        body = json.loads(response.body)
        assert "the server restarted" in body["message"] and body["status"] == 404


@pytest.mark.kernel
@pytest.mark.slow
async def test_cancel_a_running_sweep_stops_it_and_kills_its_runs(
    jp_fetch, jp_root_dir, lab_store_url
):
    """There was no cancel: DELETE /jobs/{id} answered 405 and the sweep ran on."""
    write_notebook(jp_root_dir / "nb.ipynb", SLEEPER)
    response = await post(
        jp_fetch, "sweeps", body={"notebook_path": "nb.ipynb", "points": [{"steps": 60}] * 5}
    )
    assert response.code == 202, response.body
    job_id = json.loads(response.body)["job_id"]
    await wait_for(
        lambda: [
            r
            for r in store_runs(lab_store_url)
            if r.tags.get("mlops.sweep.point") is not None and r.status == "running"
        ]
    )
    await asyncio.sleep(1.0)  # the point's cell is sleeping now
    response = await jp_fetch(NS, "jobs", job_id, method="DELETE")
    assert response.code == 202 and json.loads(response.body)["status"] == "cancelling"
    job = await wait_job(jp_fetch, job_id, ("cancelled", "failed", "finished"), timeout=20)
    assert job["status"] == "cancelled", job
    assert job["message"] == "cancelled from the panel" and job["ended"]
    runs = store_runs(lab_store_url)
    sweep = [r for r in runs if r.tags.get("mlops.kind") == "sweep"]
    points = [r for r in runs if r.parent_run_id == sweep[0].run_id]
    assert sweep[0].status == "killed" and "--resume" in sweep[0].error
    assert len(points) == 1 and points[0].status == "killed"  # no further point started
    assert "cancelled" in points[0].error
    await wait_for(lambda: not kernel_processes(), timeout=10)
    response = await jp_fetch(NS, "jobs", job_id, method="DELETE", raise_error=False)
    assert response.code == 409 and "already ended" in json.loads(response.body)["message"]


@pytest.mark.kernel
@pytest.mark.slow
async def test_export_answers_while_two_sweeps_run(jp_fetch, jp_root_dir):
    """With two sweeps running, an export timed out after 60 s (one shared 2-thread pool)."""
    write_notebook(jp_root_dir / "nb.ipynb", SLEEPER)
    ids = []
    for _ in range(2):
        response = await post(
            jp_fetch, "sweeps", body={"notebook_path": "nb.ipynb", "points": [{"steps": 60}] * 2}
        )
        ids.append(json.loads(response.body)["job_id"])
    for job_id in ids:
        await wait_job(jp_fetch, job_id, ("running",))
    loop = asyncio.get_running_loop()
    started = loop.time()
    response = await asyncio.wait_for(
        post(jp_fetch, "exports", body={"notebook_path": "nb.ipynb"}), timeout=20
    )
    assert response.code == 200 and json.loads(response.body) == {"output_path": "nb.py"}
    assert loop.time() - started < 10
    for job_id in ids:
        await jp_fetch(NS, "jobs", job_id, method="DELETE")
    for job_id in ids:
        assert (await wait_job(jp_fetch, job_id, ("cancelled", "failed", "finished"), timeout=30))[
            "status"
        ] == "cancelled"
    await wait_for(lambda: not kernel_processes(), timeout=10)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.kernel
@pytest.mark.slow
def test_sigterm_stops_the_server_and_its_sweep_promptly(tmp_path):
    """SIGTERM closed the port but the process kept starting kernels for over 60 s.

    A real `jupyter server` subprocess on a free 127.0.0.1 port with a token.
    """
    import signal
    import subprocess
    import sys
    import time

    import psutil
    import requests

    root, store = tmp_path / "root", tmp_path / "store" / "runs.db"
    write_notebook(root / "nb.ipynb", SLEEPER)
    port, token = _free_port(), "reliability-token"
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(
            p for p in (str(Path(__file__).parents[2]), os.environ.get("PYTHONPATH")) if p
        ),
    )
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter_server",
            "--no-browser",
            "--allow-root",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}",
            "--ServerApp.jpserver_extensions={'mlops_jupyter': True}",
            f"--MlopsJupyterApp.store_url={store}",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=tmp_path,
    )
    base, headers = f"http://127.0.0.1:{port}/{NS}", {"Authorization": f"token {token}"}
    kernels: list = []
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{base}/capabilities", headers=headers, timeout=10).ok:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "server did not start"
            time.sleep(0.2)
        reply = requests.post(
            f"{base}/sweeps",
            headers=headers,
            timeout=10,
            json={"notebook_path": "nb.ipynb", "points": [{"steps": 60}] * 4, "jobs": 1},
        )
        assert reply.status_code == 202, reply.text
        deadline = time.monotonic() + 60
        while not [
            r
            for r in store_runs(str(store))
            if r.tags.get("mlops.sweep.point") is not None and r.status == "running"
        ]:
            assert time.monotonic() < deadline, "no point started"
            time.sleep(0.2)
        time.sleep(1.0)
        kernels = [
            p
            for p in psutil.Process(server.pid).children(recursive=True)
            if "kernelapp" in " ".join(p.cmdline()) or "ipykernel" in " ".join(p.cmdline())
        ]
        assert kernels
        started = time.monotonic()
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)
        assert time.monotonic() - started < 10
        _gone, alive = psutil.wait_procs(kernels, timeout=5)
        assert alive == [], alive
        sweep = [r for r in store_runs(str(store)) if r.tags.get("mlops.kind") == "sweep"]
        assert sweep[0].status == "killed" and "server stopped" in sweep[0].error
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        for kernel in kernels:  # only this server's kernels, left behind by a failure
            if kernel.is_running():
                kernel.kill()


# -- D5b: server actions start top-level runs ----------------------------------------------------


@pytest.mark.kernel
@pytest.mark.slow
async def test_two_sweeps_submitted_apart_are_independent_top_level_runs(
    jp_fetch, jp_root_dir, lab_store_url
):
    """Sweep 2 became a child of sweep 1's point run and was ended with it, before its points."""
    write_notebook(jp_root_dir / "nb.ipynb", SLEEPER)
    body = {"notebook_path": "nb.ipynb", "points": [{"steps": 2}, {"steps": 2}]}
    first = json.loads((await post(jp_fetch, "sweeps", body=body)).body)["job_id"]
    await wait_for(
        lambda: [
            r
            for r in store_runs(lab_store_url)
            if r.tags.get("mlops.sweep.point") is not None and r.status == "running"
        ]
    )
    second = json.loads((await post(jp_fetch, "sweeps", body=body)).body)["job_id"]
    for job_id in (first, second):
        job = await wait_job(jp_fetch, job_id, ("finished", "failed", "cancelled"), timeout=120)
        assert job["status"] == "finished", job
    runs = store_runs(lab_store_url)
    sweeps = [r for r in runs if r.tags.get("mlops.kind") == "sweep"]
    assert len(sweeps) == 2 and all(s.parent_run_id is None for s in sweeps)
    for sweep in sweeps:
        points = [r for r in runs if r.parent_run_id == sweep.run_id]
        assert len(points) == 2 and all(p.status == "finished" for p in points)
        assert sweep.status == "finished"
        assert sweep.end_time >= max(p.end_time for p in points)
    assert len(runs) == 6


# -- D10: bounded values in the list and on the tags route -------------------------------------


async def test_runs_list_truncates_huge_values_and_the_run_page_keeps_them(jp_fetch, lab_store_url):
    """One 200 MB tag made every runs page 200 MB. Values are now capped (params 6,000
    characters, tags 8,000: a 1 MB one is refused), and the list shows 300 of them."""
    import pytest

    from mlops_jupyter.errors import ValueLimitError

    param, tag = "x" * 6000, "y" * 8000
    with mj.start_run(name="big", store=lab_store_url) as run:
        run.log_params({f"blob{i}": param for i in range(20)} | {"small": "ok"})
        run.set_tags({"note": tag})
        with pytest.raises(ValueLimitError, match="the limit is 6,000"):
            run.log_params({"huge": "z" * 1_000_000})
    response = await jp_fetch(NS, "runs")
    assert len(response.body) < 20_000  # 20 x 6,000 + 8,000 characters stored
    summary = json.loads(response.body)["runs"][0]
    for value, size in ((summary["params"]["blob0"], "6,000"), (summary["tags"]["note"], "8,000")):
        assert value.startswith(value[0] * 300) and f"truncated: {size} characters" in value
        assert len(value) < 400
    assert summary["params"]["small"] == "ok" and "huge" not in summary["params"]
    detail = json.loads((await jp_fetch(NS, "runs", run.run_id)).body)
    assert detail["params"]["blob0"] == param and detail["tags"]["note"] == tag


async def test_tag_value_over_8000_characters_is_a_400(jp_fetch, runs, lab_store_url):
    response = await post(jp_fetch, "runs", runs[0], "tags", body={"tags": {"note": "y" * 8001}})
    assert response.code == 400
    assert "the limit is 8000" in json.loads(response.body)["message"]
    ok = await post(jp_fetch, "runs", runs[0], "tags", body={"tags": {"note": "y" * 8000}})
    assert ok.code == 200 and json.loads(ok.body)["tags"]["note"] == "y" * 8000


# -- D14: 400s, not 500s ------------------------------------------------------------------------


async def test_deeply_nested_json_body_is_a_400(jp_fetch, runs):
    deep = '{"tags": ' + "[" * 100_000 + "]" * 100_000 + "}"
    response = await jp_fetch(
        NS, "runs", runs[0], "tags", method="POST", body=deep, raise_error=False
    )
    assert response.code == 400, response.body
    assert "nested too deeply" in json.loads(response.body)["message"]


async def test_export_into_a_missing_folder_creates_it_inside_the_root(jp_fetch, jp_root_dir):
    write_notebook(jp_root_dir / "nb.ipynb")
    response = await post(
        jp_fetch, "exports", body={"notebook_path": "nb.ipynb", "output_path": "new/deeper/nb.py"}
    )
    assert response.code == 200, response.body
    assert json.loads(response.body) == {"output_path": "new/deeper/nb.py"}
    assert "def main(" in (jp_root_dir / "new" / "deeper" / "nb.py").read_text()
    outside = await post(
        jp_fetch, "exports", body={"notebook_path": "nb.ipynb", "output_path": "new/../../x/nb.py"}
    )
    assert outside.code == 400 and not (jp_root_dir.parent / "x").exists()


async def test_a_filter_the_store_rejects_is_a_400(jp_fetch, runs):
    response = await jp_fetch(NS, "runs", params={"filter": "metrics.acc >"}, raise_error=False)
    assert response.code == 400 and "bad filter" in json.loads(response.body)["message"]


# -- the job registry itself: queued cancel, pruning (real threads, no kernel) -------------------


def test_registry_cancels_a_queued_job_before_it_runs_and_prunes_ended_jobs(monkeypatch):
    import threading
    import time

    from mlops_jupyter.execution.cancel import CancelToken
    from mlops_jupyter.server import jobs

    registry = jobs.JobRegistry(workers=1)
    release, ran = threading.Event(), []
    blocker = registry.submit("sweep", lambda: (release.wait(10), "done")[1], CancelToken())
    queued = registry.submit("sweep", lambda: ran.append(1) or "ran", CancelToken())
    assert registry.get(queued["job_id"])["status"] == "queued"
    cancelled = registry.cancel(queued["job_id"])
    assert cancelled["status"] == "cancelled" and cancelled["message"] == "cancelled from the panel"
    release.set()
    deadline = time.monotonic() + 10
    while registry.get(blocker["job_id"])["status"] != "finished":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert ran == []
    monkeypatch.setattr(jobs, "MAX_ENDED", 3)
    ids = [registry.submit("rerun", lambda: "ok", CancelToken())["job_id"] for _ in range(5)]
    deadline = time.monotonic() + 10
    while registry.get(ids[-1]) is None or registry.get(ids[-1])["status"] != "finished":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    registry.submit("rerun", lambda: "ok", CancelToken())  # prunes on submit
    assert registry.get(blocker["job_id"]) is None and registry.get(ids[0]) is None
    assert registry.get(ids[-1])["status"] == "finished"
    monkeypatch.setattr(jobs, "KEEP_SECONDS", 0.0)
    time.sleep(0.05)
    assert registry.get(ids[-1]) is None  # older than KEEP_SECONDS
    registry.shutdown()
    with pytest.raises(Exception, match="shutting down"):
        registry.submit("rerun", lambda: "", CancelToken())
