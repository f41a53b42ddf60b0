"""Every /mlops-jupyter/ route through a real jupyter_server with jp_fetch."""

from __future__ import annotations

import json
import re
import types
from pathlib import Path

import pytest
import tornado.httpclient

import mlops_jupyter as mj

XSS = "<img src=x onerror=alert(1)>"

NS = "mlops-jupyter"
TYPES_TS = Path(__file__).parents[2] / "labextension" / "src" / "types.ts"


async def get_json(jp_fetch, *path, **params):
    response = await jp_fetch(NS, *path, params=params or None)
    return json.loads(response.body)


async def fetch_error(jp_fetch, *path, method="GET", body=None, params=None):
    with pytest.raises(tornado.httpclient.HTTPClientError) as info:
        kwargs = {"method": method, "params": params}
        if body is not None:
            kwargs["body"] = json.dumps(body)
        await jp_fetch(NS, *path, **kwargs)
    return info.value.code, json.loads(info.value.response.body or b"{}")


def ts_fields(interface: str) -> set[str]:
    """Field names an interface declares in types.ts (own fields only)."""
    text = TYPES_TS.read_text()
    body = re.search(rf"export interface {interface}\b[^{{]*{{(.*?)\n}}", text, re.DOTALL).group(1)
    return set(re.findall(r"^  (\w+)\??:", body, re.MULTILINE))


async def test_capabilities_report_actions(jp_fetch):
    data = await get_json(jp_fetch, "capabilities")
    assert set(data["actions"]) == {"rerun", "reproduce", "sweep", "export_script", "convert"}
    assert data["version"] == mj.__version__
    assert all(v is True for v in data["actions"].values())  # every action ships in the wheel


async def test_runs_page_total_and_keys(jp_fetch, runs):
    data = await get_json(jp_fetch, "runs")
    assert data["total"] == 4 and data["offset"] == 0
    assert [r["name"] for r in data["runs"]] == ["run-3", "run-2", "run-1", "run-0"]  # newest first
    run = data["runs"][0]
    assert "provenance" not in run
    assert ts_fields("IRun") <= set(run), ts_fields("IRun") - set(run)
    assert run["params"] == {"model": "svm", "lr": pytest.approx(0.4), "depth": 5, "flag": False}
    assert run["metrics"]["acc"] == pytest.approx(0.9)


async def test_runs_paging(jp_fetch, runs):
    first = await get_json(jp_fetch, "runs", limit="3", offset="0", order_by="name")
    rest = await get_json(jp_fetch, "runs", limit="3", offset="3", order_by="name")
    assert [r["name"] for r in first["runs"]] == ["run-0", "run-1", "run-2"]
    assert [r["name"] for r in rest["runs"]] == ["run-3"]
    assert first["total"] == rest["total"] == 4


async def test_runs_filter_and_sort(jp_fetch, runs):
    data = await get_json(jp_fetch, "runs", filter="metrics.acc > 0.65 and params.model == 'rf'")
    assert [r["name"] for r in data["runs"]] == ["run-2"] and data["total"] == 1
    data = await get_json(jp_fetch, "runs", order_by="metrics.acc ASC")
    assert [r["name"] for r in data["runs"]] == ["run-0", "run-1", "run-2", "run-3"]
    data = await get_json(jp_fetch, "runs", experiment="nope")
    assert data["total"] == 0 and data["runs"] == []


@pytest.mark.parametrize(
    "params, needle",
    [
        ({"filter": "metrics.acc >>> 1"}, "bad filter"),
        ({"filter": "nosuchfield == 1"}, "bad filter"),
        ({"order_by": "metrics.acc SIDEWAYS"}, "order_by"),
        ({"limit": "ten"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"offset": "-1"}, "offset"),
    ],
)
async def test_runs_bad_query_is_400_with_message(jp_fetch, runs, params, needle):
    code, body = await fetch_error(jp_fetch, "runs", params=params)
    assert code == 400
    assert needle in body["message"]


async def test_one_run_detail(jp_fetch, runs, jp_root_dir):
    data = await get_json(jp_fetch, "runs", runs[0])
    assert ts_fields("IRunDetail") <= set(data)
    assert data["name"] == "run-0" and data["status"] == "finished"
    assert "git" in data["provenance"] and "packages" in data["provenance"]
    names = {a["name"] for a in data["artifacts"]}
    assert {"curve.png", "curve.svg", "preds.table.json"} <= names
    assert ts_fields("IArtifact") <= set(data["artifacts"][0])


async def test_unknown_run_is_404(jp_fetch, runs):
    code, body = await fetch_error(jp_fetch, "runs", "0" * 32)
    assert code == 404 and "0" * 32 in body["message"]
    code, _ = await fetch_error(jp_fetch, "runs", "not-a-run-id")
    assert code == 404


async def test_metric_history_and_downsampling(jp_fetch, lab_store_url):
    with mj.start_run(name="long", store=lab_store_url) as run:
        for step in range(3000):
            run.log_metric("loss", (step % 97) / 97.0, step=step)
    data = await get_json(jp_fetch, "runs", run.run_id, "metrics", max_points="100")
    (loss,) = data["metrics"]
    assert loss["key"] == "loss" and loss["total_points"] == 3000 and loss["downsampled"]
    assert len(loss["points"]) <= 100
    assert loss["points"][0] == [0, 0.0] and loss["points"][-1][0] == 2999
    assert max(p[1] for p in loss["points"]) == pytest.approx(96 / 97)  # peaks survive
    full = await get_json(jp_fetch, "runs", run.run_id, "metrics", key="loss", max_points="5000")
    assert len(full["metrics"][0]["points"]) == 3000 and not full["metrics"][0]["downsampled"]
    assert set(full["metrics"][0]) == ts_fields("IMetricSeries")


async def test_artifact_streamed_by_hash_with_media_type(jp_fetch, runs):
    run = await get_json(jp_fetch, "runs", runs[1])
    png = next(a for a in run["artifacts"] if a["name"] == "curve.png")
    response = await jp_fetch(NS, "runs", runs[1], "artifacts", png["sha256"])
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert response.body[:8] == b"\x89PNG\r\n\x1a\n" and len(response.body) == png["size"]
    svg = next(a for a in run["artifacts"] if a["name"] == "curve.svg")
    response = await jp_fetch(NS, "runs", runs[1], "artifacts", svg["sha256"])
    assert response.headers["Content-Type"] == "image/svg+xml"


async def test_table_preview(jp_fetch, runs):
    run = await get_json(jp_fetch, "runs", runs[2])
    table = next(a for a in run["artifacts"] if a["name"] == "preds.table.json")
    data = await get_json(jp_fetch, "runs", runs[2], "artifacts", table["sha256"], "preview")
    assert data["columns"][-2:] == ["y", "p"] and data["total_rows"] == 3
    assert data["rows"][0][-2:] == [1, 0.9]


async def test_artifact_only_by_a_hash_the_run_owns(jp_fetch, runs):
    other = await get_json(jp_fetch, "runs", runs[0])
    sha = other["artifacts"][0]["sha256"]
    code, body = await fetch_error(
        jp_fetch, "runs", runs[1], "artifacts", sha
    )  # another run's blob
    assert code == 404 and sha in body["message"]
    code, _ = await fetch_error(jp_fetch, "runs", runs[1], "artifacts", "f" * 64)
    assert code == 404


async def test_compare_diffs_params_and_overlays_metrics(jp_fetch, runs):
    data = await get_json(jp_fetch, "compare", run_ids=f"{runs[0]},{runs[2]}")
    assert [r["name"] for r in data["runs"]] == ["run-0", "run-2"]
    assert set(data["differing_params"]) == {"lr", "depth", "flag"}  # model is rf in both
    assert data["param_keys"] == ["depth", "flag", "lr", "model"]
    assert set(data["histories"]["loss"]) == {runs[0], runs[2]}
    assert len(data["histories"]["loss"][runs[0]]) == 20
    assert set(data) == ts_fields("ICompareReply")


@pytest.mark.parametrize("run_ids, needle", [("", "2 to 100"), ("abc,def", "bad run id")])
async def test_compare_bad_ids_400(jp_fetch, runs, run_ids, needle):
    code, body = await fetch_error(jp_fetch, "compare", params={"run_ids": run_ids})
    assert code == 400 and needle in body["message"]


async def test_compare_unknown_run_404(jp_fetch, runs):
    code, _ = await fetch_error(jp_fetch, "compare", params={"run_ids": f"{runs[0]},{'a' * 32}"})
    assert code == 404


async def test_tags_and_delete(jp_fetch, runs):
    response = await jp_fetch(
        NS,
        "runs",
        runs[0],
        "tags",
        method="POST",
        body=json.dumps({"tags": {"stage": "candidate", "n": 3}}),
    )
    assert json.loads(response.body)["tags"] == {"stage": "candidate", "n": "3"}
    code, body = await fetch_error(
        jp_fetch, "runs", runs[0], "tags", method="POST", body={"tag": {}}
    )
    assert code == 400 and "unknown key(s) 'tag'" in body["message"]
    code, body = await fetch_error(
        jp_fetch, "runs", runs[0], "tags", method="POST", body={"tags": []}
    )
    assert code == 400
    response = await jp_fetch(NS, "runs", runs[0], method="DELETE")
    assert response.code == 204
    assert (await get_json(jp_fetch, "runs"))["total"] == 3
    code, _ = await fetch_error(jp_fetch, "runs", runs[0], method="DELETE")
    assert code == 404


async def test_requests_without_token_are_refused(
    jp_fetch, jp_serverapp, http_server_client, jp_base_url, runs
):
    for path in ("runs", f"runs/{runs[0]}", "capabilities", f"runs/{runs[0]}/metrics", "compare"):
        with pytest.raises(tornado.httpclient.HTTPClientError) as info:
            await http_server_client.fetch(f"{jp_base_url}{NS}/{path}", raise_error=True)
        assert info.value.code in (401, 403), path
    with pytest.raises(tornado.httpclient.HTTPClientError) as info:
        await http_server_client.fetch(
            f"{jp_base_url}{NS}/runs/{runs[0]}", method="DELETE", raise_error=True
        )
    assert info.value.code in (401, 403)
    assert (await get_json(jp_fetch, "runs"))["total"] == 4  # nothing deleted


TRAVERSAL = "../../etc/passwd"


async def test_path_traversal_refused_everywhere(jp_fetch, runs):
    quoted = TRAVERSAL.replace("/", "%2F")
    for path in (
        ("runs", quoted),
        ("runs", runs[0], "artifacts", quoted),
        ("runs", runs[0], "artifacts", quoted, "preview"),
    ):
        code, _ = await fetch_error(jp_fetch, *path)
        assert code == 404, path
    for params in ({"filter": TRAVERSAL}, {"order_by": TRAVERSAL}, {"experiment": TRAVERSAL}):
        response = await jp_fetch(NS, "runs", params=params, raise_error=False)
        assert response.code in (200, 400)
        assert b"root:" not in response.body
    code, _ = await fetch_error(jp_fetch, "compare", params={"run_ids": f"{runs[0]},{TRAVERSAL}"})
    assert code == 400
    response = await jp_fetch(NS, "runs", runs[0], "metrics", params={"key": TRAVERSAL})
    assert json.loads(response.body)["metrics"][0]["points"] == []
    for action, body in (
        ("exports", {"notebook_path": TRAVERSAL}),
        ("conversions", {"notebook_path": "/etc/passwd"}),
        ("sweeps", {"notebook_path": TRAVERSAL, "points": [{}]}),
    ):
        code, _body = await fetch_error(jp_fetch, action, method="POST", body=body)
        assert code == 400, action


def _write_notebook(path: Path) -> None:
    import nbformat

    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "steps = 3  # how many steps", metadata={"tags": ["parameters"]}
            ),
            nbformat.v4.new_code_cell("total = sum(range(steps))\nprint(total)"),
        ]
    )
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, str(path))


async def test_export_calls_the_converter_inside_root(jp_fetch, jp_root_dir):
    (jp_root_dir / "nb").mkdir()
    _write_notebook(jp_root_dir / "nb" / "train.ipynb")
    response = await jp_fetch(
        NS, "exports", method="POST", body=json.dumps({"notebook_path": "nb/train.ipynb"})
    )
    assert json.loads(response.body) == {"output_path": "nb/train.py"}
    script = (jp_root_dir / "nb" / "train.py").read_text()
    assert "def main(" in script and "--steps" in script  # the real converter's CLI
    again = await jp_fetch(
        NS, "exports", method="POST", body=json.dumps({"notebook_path": "nb/train.ipynb"})
    )
    assert again.code == 200  # re-exporting its own script is allowed
    code, body = await fetch_error(
        jp_fetch,
        "exports",
        method="POST",
        body={"notebook_path": "nb/train.ipynb", "output_path": "../../x.py"},
    )
    assert code == 400 and "outside the server root" in body["message"]
    code, body = await fetch_error(
        jp_fetch, "exports", method="POST", body={"notebook_path": "missing.ipynb"}
    )
    assert code == 400 and "no notebook" in body["message"]
    code, body = await fetch_error(jp_fetch, "exports", method="POST", body={"notebook": "x"})
    assert code == 400 and "unknown key(s) 'notebook'" in body["message"]


async def test_rerun_calls_execution_api_in_background(
    jp_fetch, jp_root_dir, lab_store_url, monkeypatch
):
    """run_notebook is an autospec double of the real one (no kernel): a renamed or removed
    keyword the server passes makes this test fail."""
    from unittest import mock

    from mlops_jupyter.execution import run_notebook
    from mlops_jupyter.server import actions

    nb = jp_root_dir / "train.ipynb"
    nb.write_text("{}")
    double = mock.create_autospec(
        run_notebook, return_value=types.SimpleNamespace(run_id="f" * 32, status="finished")
    )
    monkeypatch.setattr(actions, "run_notebook", double)
    with mj.start_run(name="src", store=lab_store_url, source_notebook=str(nb)) as run:
        run.log_params({"lr": 0.1})
    response = await jp_fetch(
        NS,
        "runs",
        run.run_id,
        "reruns",
        method="POST",
        body=json.dumps({"parameters": {"lr": 0.5}}),
    )
    assert response.code == 202
    job = json.loads(response.body)
    assert set(job) <= ts_fields("IJob") | {"ended"}
    import asyncio

    for _ in range(100):
        job = await get_json(jp_fetch, "jobs", job["job_id"])
        if job["status"] != "running":
            break
        await asyncio.sleep(0.05)
    assert job["status"] == "finished", job
    assert job["result"] == "run ffffffff finished"
    (path, params), kwargs = double.call_args
    assert (path, params) == (str(nb), {"lr": 0.5})
    assert kwargs["experiment"] == "Default" and kwargs["cwd"] == str(jp_root_dir)
    assert kwargs["top_level"] is True and kwargs["cancel"] is not None


async def test_executed_notebook_copy_is_openable(jp_fetch, jp_root_dir, lab_store_url):
    with mj.start_run(name="exec", store=lab_store_url) as run:
        sha = run.log_artifact(
            b'{"cells": []}', name="executed.ipynb", media_type="application/x-ipynb+json"
        )
    response = await jp_fetch(
        NS, "runs", run.run_id, "artifacts", sha, "copy", method="POST", body="{}"
    )
    path = json.loads(response.body)["path"]
    assert (
        path.startswith("mlops-runs/executed-")
        and (jp_root_dir / path).read_bytes() == b'{"cells": []}'
    )


async def test_xss_values_are_returned_verbatim_as_json(jp_fetch, lab_store_url):
    with mj.start_run(name=XSS, store=lab_store_url) as run:
        run.log_params({"payload": XSS})
    data = await get_json(jp_fetch, "runs", run.run_id)
    assert data["name"] == XSS and data["params"]["payload"] == XSS
    response = await jp_fetch(NS, "runs")
    assert response.headers["Content-Type"].startswith("application/json")


async def test_parameters_schema_falls_back_to_recorded_types(jp_fetch, runs):
    data = await get_json(jp_fetch, "runs", runs[0], "parameters")  # train.ipynb is not there
    assert data["source"] == "recorded"
    assert {p["name"]: p["type"] for p in data["parameters"]} == {
        "depth": "int",
        "flag": "bool",
        "lr": "float",
        "model": "str",
    }
    assert set(data) == ts_fields("IParametersReply")


async def test_parameters_schema_from_notebook(jp_fetch, jp_root_dir, lab_store_url):
    """The form's fields come from the notebook's parameters cell (its defaults, types and help),
    not from the values the run recorded (lr=0.2)."""
    import nbformat

    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "lr = 0.1  # learning rate\nepochs = 3", metadata={"tags": ["parameters"]}
            ),
            nbformat.v4.new_code_cell("print(lr)"),
        ]
    )
    nbformat.write(nb, jp_root_dir / "train.ipynb")
    with mj.start_run(
        name="nb", store=lab_store_url, source_notebook=str(jp_root_dir / "train.ipynb")
    ) as run:
        run.log_params({"lr": 0.2})
    data = await get_json(jp_fetch, "runs", run.run_id, "parameters")
    assert data == {
        "source": "notebook",
        "notebook_path": "train.ipynb",
        "parameters": [
            {"name": "lr", "type": "float", "default": 0.1, "help": "learning rate"},
            {"name": "epochs", "type": "int", "default": 3, "help": ""},
        ],
    }
