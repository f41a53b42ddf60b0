"""A Re-run and a Reproduce job say which cell runs: ``running cell k of n`` (the notebook's
code cells, k counting those started) with done / total for the job line's bar, in order, and
end with their links (the new run, the run they started from)."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat

import mlops_jupyter as mj
from tests.support.jobs import follow_job

NS = "mlops-jupyter"


def write_notebook(path: Path) -> Path:
    """Three code cells (the first two sleep long enough to be polled), a markdown cell and an
    empty code cell, which are not counted."""
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("import time\ntime.sleep(0.4)"),
            nbformat.v4.new_markdown_cell("# the answer"),
            nbformat.v4.new_code_cell("x = 6\ntime.sleep(0.4)"),
            nbformat.v4.new_code_cell(""),
            nbformat.v4.new_code_cell("print(x * 7)"),
        ],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )
    nbformat.write(nb, str(path))
    return path


async def follow(jp_fetch, job_id: str, timeout: float = 120.0) -> tuple[dict, list[dict]]:
    return await follow_job(jp_fetch, job_id, timeout)


CELLS = [
    {"text": "running cell 1 of 3", "done": 0, "total": 3},
    {"text": "running cell 2 of 3", "done": 1, "total": 3},
    {"text": "running cell 3 of 3", "done": 2, "total": 3},
]


async def start(jp_fetch, run_id: str, action: str) -> tuple[dict, list[dict]]:
    response = await jp_fetch(NS, "runs", run_id, action, method="POST", body="{}")
    assert response.code == 202, response.body
    return await follow(jp_fetch, json.loads(response.body)["job_id"])


async def test_rerun_then_reproduce_report_every_cell_in_order_and_end_with_links(
    jp_fetch, jp_root_dir, lab_store_url
):
    nb = write_notebook(jp_root_dir / "answer.ipynb")
    with mj.start_run(name="origin", store=lab_store_url, source_notebook=str(nb)) as origin:
        pass
    job, seen = await start(jp_fetch, origin.run_id, "reruns")
    assert job["status"] == "finished", job
    assert [p for p in seen if p["text"].startswith("running cell")] == CELLS, seen
    new_id = job["links"]["run_id"]
    assert job["links"] == {"run_id": new_id, "original_run_id": origin.run_id}
    assert mj.open_store(lab_store_url).get_run(new_id).status == "finished"

    # the re-run recorded its notebook: reproducing it re-executes the same three cells
    job, seen = await start(jp_fetch, new_id, "reproductions")
    assert job["status"] == "finished", job
    assert [p for p in seen if p["text"].startswith("running cell")] == CELLS, seen
    assert job["links"]["original_run_id"] == new_id and job["links"]["run_id"] != new_id
