"""Background jobs report progress and end with links: a conversion says which cell it captures
and then that the generated tests run, and names the folder it wrote; a sweep counts its points
done and links the sweep run and the run it started from."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat

import mlops_jupyter as mj
from tests.support.jobs import follow_job

NS = "mlops-jupyter"


def write_notebook(path: Path, body: str) -> Path:
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("steps = 1  # how many", metadata={"tags": ["parameters"]}),
            nbformat.v4.new_code_cell(body),
            nbformat.v4.new_code_cell("result = steps * 2\nprint(result)"),
        ],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


async def post(jp_fetch, path: str, body: dict):
    return await jp_fetch(NS, path, method="POST", body=json.dumps(body), raise_error=False)


async def follow(jp_fetch, job_id: str, timeout: float = 120.0) -> tuple[dict, list[dict]]:
    return await follow_job(jp_fetch, job_id, timeout)


async def test_convert_is_a_job_reporting_cells_then_tests_and_linking_the_folder(
    jp_fetch, jp_root_dir, lab_store_url
):
    write_notebook(jp_root_dir / "nb" / "train.ipynb", "import time\ntime.sleep(1.0)")
    response = await post(jp_fetch, "conversions", {"notebook_path": "nb/train.ipynb"})
    assert response.code == 202, response.body
    job, seen = await follow(jp_fetch, json.loads(response.body)["job_id"])
    assert job["status"] == "finished", job
    assert job["links"] == {"output_path": "nb/train_pipeline"}
    assert job["result"] == "converted into train_pipeline"
    texts = [p["text"] for p in seen]
    # the sleeping cell (2 of 3) is captured long enough to be seen, then the tests run
    assert {"text": "capturing: cell 2 of 3", "done": 2, "total": 3} in seen, texts
    assert "running the generated tests" in texts, texts
    assert texts.index("capturing: cell 2 of 3") < texts.index("running the generated tests")
    assert job["progress"]["text"] == "generated tests passed"
    assert (jp_root_dir / "nb" / "train_pipeline" / "pipeline.py").is_file()


async def test_convert_into_a_foreign_folder_is_still_refused_at_once(jp_fetch, jp_root_dir):
    write_notebook(jp_root_dir / "train.ipynb", "pass")
    (jp_root_dir / "train_pipeline").mkdir()
    (jp_root_dir / "train_pipeline" / "mine.txt").write_text("mine")
    response = await post(jp_fetch, "conversions", {"notebook_path": "train.ipynb"})
    assert response.code == 400, response.body
    assert "not written by mlops-jupyter" in json.loads(response.body)["message"]


async def test_sweep_counts_points_and_links_the_sweep_and_the_original(
    jp_fetch, jp_root_dir, lab_store_url
):
    write_notebook(jp_root_dir / "sweep.ipynb", "import time\ntime.sleep(0.5)")
    with mj.start_run(name="origin", store=lab_store_url) as origin:
        origin.log_params({"steps": 1})
    bad = await post(
        jp_fetch,
        "sweeps",
        {"notebook_path": "sweep.ipynb", "points": [{"steps": 2}], "original_run_id": "x"},
    )
    assert bad.code == 400 and "original_run_id" in json.loads(bad.body)["message"]
    response = await post(
        jp_fetch,
        "sweeps",
        {
            "notebook_path": "sweep.ipynb",
            "points": [{"steps": 2}, {"steps": 3}],
            "original_run_id": origin.run_id,
        },
    )
    assert response.code == 202, response.body
    job, seen = await follow(jp_fetch, json.loads(response.body)["job_id"])
    assert job["status"] == "finished", job
    assert {"text": "points: 0 of 2 done", "done": 0, "total": 2} in seen
    assert job["progress"] == {"text": "points: 2 of 2 done", "done": 2, "total": 2}
    sweep_id = job["links"]["run_id"]
    assert job["links"] == {"run_id": sweep_id, "original_run_id": origin.run_id}
    store = mj.open_store(lab_store_url)
    assert store.get_run(sweep_id).name and job["result"].startswith(f"sweep {sweep_id[:8]}")
