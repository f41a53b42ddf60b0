"""The same kernel failure gets the same HTTP status and message from every action: a kernel that
dies while `convert` captures values, and while a background re-run executes (real kernels)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import nbformat
import pytest

import mlops_jupyter as mj

NS = "mlops-jupyter"
DIE = "import os\nos._exit(1)  # the kernel process dies, as on an out-of-memory kill"

pytestmark = pytest.mark.slow


def dying_notebook(path: Path) -> Path:
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("steps = 3", metadata={"tags": ["parameters"]}),
            nbformat.v4.new_code_cell("#| step: train\ntotal = steps * 2"),
            nbformat.v4.new_code_cell(DIE),
        ]
    )
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, str(path))
    return path


async def finished_job(jp_fetch, job_id: str, timeout: float = 90.0) -> dict:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        job = json.loads((await jp_fetch(NS, "jobs", job_id)).body)
        if job["status"] not in ("queued", "running", "cancelling"):
            return job
        assert loop.time() < deadline, job
        await asyncio.sleep(0.2)


async def test_a_dead_kernel_is_422_in_convert_and_in_a_rerun(
    jp_fetch, jp_root_dir, lab_store_url
) -> None:
    notebook = dying_notebook(jp_root_dir / "dies.ipynb")
    response = await jp_fetch(
        NS,
        "conversions",
        method="POST",
        raise_error=False,
        body=json.dumps({"notebook_path": "dies.ipynb"}),
    )
    assert response.code == 202, response.body  # convert is a background job
    converting = await finished_job(jp_fetch, json.loads(response.body)["job_id"])
    assert converting["status"] == "failed" and converting["http_status"] == 422, converting
    assert "kernel died while running cell 2" in converting["message"]

    with mj.start_run(name="src", store=lab_store_url, source_notebook=str(notebook)) as run:
        run.log_params({"steps": 3})
    response = await jp_fetch(
        NS,
        "runs",
        run.run_id,
        "reruns",
        method="POST",
        body=json.dumps({"parameters": {"steps": 4}}),
    )
    job = await finished_job(jp_fetch, json.loads(response.body)["job_id"])
    assert job["status"] == "failed" and job["http_status"] == 422, job
    assert "kernel died while running cell 2" in job["message"]
