"""The REST surface, enumerated and pinned: every route of server/routes.py answers an
authenticated request with its documented status (and refuses one without a token), and every
reply carries exactly the JSON fields labextension/src/types.ts declares for it.

No route here starts a kernel: the actions that would (reruns, sweeps, conversions) are
answered on input they refuse before any work, which still goes through their handler.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import nbformat
import pytest
import tornado.httpclient

import mlops_jupyter as mj
from mlops_jupyter.server.routes import MODEL, RUN_ID, SHA256, route_table
from tests.server.test_routes import TYPES_TS, ts_fields

NS = "mlops-jupyter"
#: route table patterns, with the id patterns written as {run_id}, {sha256}, {job_id}
ROUTES = [
    "capabilities",
    "runs",
    "runs/{run_id}",
    "runs/{run_id}/tags",
    "runs/{run_id}/metrics",
    "runs/{run_id}/parameters",
    "runs/{run_id}/artifacts/{sha256}",
    "runs/{run_id}/artifacts/{sha256}/preview",
    "runs/{run_id}/artifacts/{sha256}/copy",
    "runs/{run_id}/reruns",
    "runs/{run_id}/reproductions",
    "sweeps",
    "exports",
    "conversions",
    "jobs/{job_id}",
    "compare",
    "keys",
    "trash",
    "trash/restore",
    "importance",
    "runs.csv",
    "diff",
    "runs/{run_id}/drift",
    "models",
    "models/{name}",
    "models/{name}/aliases",
    "models/{name}/aliases/{alias}",
    "runs/{run_id}/models",
    "runs/{run_id}/note",
    "runs/{run_id}/user-tags",
    "{anything else}",
]
#: the interfaces of types.ts a reply is checked against (IProvenance is open-ended and
#: IRunsQuery is a request, so they are not replies)
INTERFACES = [
    "IActions",
    "IAliasEvent",
    "IArtifact",
    "ICapabilities",
    "ICompareField",
    "ICompareReply",
    "IDiffReply",
    "IDifference",
    "IDriftColumn",
    "IDriftReport",
    "IDriftTable",
    "IImportanceReply",
    "IJob",
    "IJobLinks",
    "IJobProgress",
    "IKeysReply",
    "IMetricSeries",
    "IMetricsReply",
    "IModelDetail",
    "IModelVersion",
    "IOutputReply",
    "IParameterSpec",
    "IParametersReply",
    "IProvenance",
    "IRegisteredModel",
    "IRun",
    "IRunDetail",
    "IRunModel",
    "IRunsPage",
    "IRunsQuery",
    "ISchemaChange",
    "ITablePreview",
    "ITrashPage",
    "ITrashedRun",
]


def _template(pattern: str) -> str:
    path = pattern.removeprefix(f"/{NS}/")
    path = path.replace(RUN_ID, "{run_id}").replace(SHA256, "{sha256}")
    path = re.sub(r"\(\?P<job_id>[^)]*\)", "{job_id}", path)
    path = path.replace(MODEL, "{name}")
    path = re.sub(r"\(\?P<alias>[^)]*\)", "{alias}", path)
    return "{anything else}" if path == ".*" else path


def test_the_route_table_has_exactly_the_pinned_routes() -> None:
    found = [_template(pattern) for pattern, _ in route_table()]
    assert found == ROUTES, (sorted(set(ROUTES) - set(found)), sorted(set(found) - set(ROUTES)))


def test_types_ts_declares_exactly_the_pinned_interfaces() -> None:
    declared = re.findall(r"^export interface (\w+)", TYPES_TS.read_text(), re.MULTILINE)
    assert sorted(declared) == INTERFACES


def _optional(interface: str) -> set[str]:
    text = TYPES_TS.read_text()
    body = re.search(rf"export interface {interface}\b[^{{]*{{(.*?)\n}}", text, re.DOTALL).group(1)
    return set(re.findall(r"^  (\w+)\?:", body, re.MULTILINE))


def assert_fields(data: dict[str, Any], *interfaces: str) -> None:
    """Every required field the interfaces declare is sent, and nothing they do not declare."""
    declared = set().union(*(ts_fields(i) for i in interfaces))
    required = declared - set().union(*(_optional(i) for i in interfaces))
    assert required <= set(data), f"{interfaces}: not sent: {sorted(required - set(data))}"
    assert set(data) <= declared, f"{interfaces}: not declared: {sorted(set(data) - declared)}"


@pytest.fixture
def surface(jp_root_dir: Path, lab_store_url: str) -> dict[str, str]:
    """A run with a metric, a table and an executed-notebook artifact; a notebook in the root."""
    import pandas as pd

    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "lr = 0.1  # learning rate", metadata={"tags": ["parameters"]}
            ),
            nbformat.v4.new_code_cell("print(lr)"),
        ]
    )
    nbformat.write(nb, jp_root_dir / "train.ipynb")
    with mj.start_run("a", store=lab_store_url) as run:
        run.log_params({"lr": 0.1})
        run.log_metric("loss", 0.5)
        run.log_table(pd.DataFrame({"y": [1, 0]}), "preds")
        run.log_artifact(
            json.dumps(nbformat.v4.new_notebook()).encode(),
            name="executed.ipynb",
            media_type="application/x-ipynb+json",
        )
    with mj.start_run("b", store=lab_store_url) as other:
        other.log_params({"lr": 0.2})
        model = mj.log_model(_Constant(), "m", input_example=pd.DataFrame({"x": [1.0]}), run=other)
    mj.register_model(model.model_uri, "churn", store=lab_store_url)
    record = mj.open_store(lab_store_url).get_run(run.run_id)
    names = {a.name: a.sha256 for a in record.artifacts}
    return {
        "run_id": run.run_id,
        "other": other.run_id,
        "table": names["preds.table.json"],
        "notebook": names["executed.ipynb"],
    }


class _Constant:
    """A model with predict (the generic flavour), for the models routes."""

    def predict(self, frame: Any) -> list[int]:
        return [1] * len(frame)


async def _call(jp_fetch, method: str, path: str, body: Any = None, **params: str):
    kwargs: dict[str, Any] = {"method": method, "raise_error": False}
    if params:
        kwargs["params"] = params
    if method in ("POST", "PUT"):
        kwargs["body"] = json.dumps(body if body is not None else {})
    response = await jp_fetch(NS, *path.split("/"), **kwargs)
    text = response.body.decode() if response.body else ""
    is_json = response.headers.get("Content-Type", "").startswith("application/json")
    return response.code, (json.loads(text) if is_json and text else text)


async def test_every_route_answers_with_its_documented_status(jp_fetch, surface) -> None:
    run, other, table, notebook = (surface[k] for k in ("run_id", "other", "table", "notebook"))
    seen: set[str] = set()

    async def expect(
        route: str, method: str, path: str, status: int, body: Any = None, **params: str
    ) -> Any:
        code, data = await _call(jp_fetch, method, path, body, **params)
        assert code == status, (route, method, path, code, data)
        seen.add(route)
        return data

    caps = await expect("capabilities", "GET", "capabilities", 200)
    assert_fields(caps, "ICapabilities")
    assert_fields(caps["actions"], "IActions")
    page = await expect("runs", "GET", "runs", 200)
    assert_fields(page, "IRunsPage")
    listed = next(r for r in page["runs"] if r["run_id"] == run)
    assert_fields(listed, "IRun")  # (a listed run's artifacts are left out: `[]`)
    detail = await expect("runs/{run_id}", "GET", f"runs/{run}", 200)
    assert_fields(detail, "IRun", "IRunDetail")
    assert_fields(detail["artifacts"][0], "IArtifact")
    tagged = await expect(
        "runs/{run_id}/tags", "POST", f"runs/{run}/tags", 200, {"tags": {"stage": "dev"}}
    )
    assert tagged["tags"] == {"stage": "dev"}
    metrics = await expect("runs/{run_id}/metrics", "GET", f"runs/{run}/metrics", 200)
    assert_fields(metrics, "IMetricsReply")
    assert_fields(metrics["metrics"][0], "IMetricSeries")
    form = await expect("runs/{run_id}/parameters", "GET", f"runs/{run}/parameters", 200)
    assert_fields(form, "IParametersReply")
    assert_fields(form["parameters"][0], "IParameterSpec")
    await expect("runs/{run_id}/artifacts/{sha256}", "GET", f"runs/{run}/artifacts/{table}", 200)
    preview = await expect(
        "runs/{run_id}/artifacts/{sha256}/preview",
        "GET",
        f"runs/{run}/artifacts/{table}/preview",
        200,
    )
    assert_fields(preview, "ITablePreview")
    await expect(
        "runs/{run_id}/artifacts/{sha256}/copy",
        "POST",
        f"runs/{run}/artifacts/{notebook}/copy",
        200,
    )
    # a run recorded outside a notebook has nothing to re-run: refused before any kernel
    refused = await expect(
        "runs/{run_id}/reruns", "POST", f"runs/{run}/reruns", 400, {"parameters": {"lr": 0.5}}
    )
    assert "has no source notebook inside the server root" in refused["message"]
    # run "b" has no recorded notebook: its reproduction is accepted and fails without a kernel
    job = await expect("runs/{run_id}/reproductions", "POST", f"runs/{other}/reproductions", 202)
    assert_fields(job, "IJob")
    for _ in range(200):
        job = await expect("jobs/{job_id}", "GET", f"jobs/{job['job_id']}", 200)
        if job["status"] != "running":
            break
        await asyncio.sleep(0.05)
    assert job["status"] == "failed" and "has no recorded notebook" in job["message"], job
    assert_fields(job, "IJob")
    missing = {"notebook_path": "missing.ipynb"}
    await expect("sweeps", "POST", "sweeps", 400, {**missing, "points": [{"lr": 0.2}]})
    await expect("conversions", "POST", "conversions", 400, missing)
    exported = await expect("exports", "POST", "exports", 200, {"notebook_path": "train.ipynb"})
    assert_fields(exported, "IOutputReply")
    compared = await expect("compare", "GET", "compare", 200, run_ids=f"{run},{other}")
    assert_fields(compared, "ICompareReply")
    assert_fields(compared["fields"][0], "ICompareField")
    # run and other have no params in common with a metric both have: a clear 400
    await expect("importance", "GET", "importance", 400, run_ids=f"{run},{other}", metric="nope")
    csv_text = await expect("runs.csv", "GET", "runs.csv", 200)
    assert csv_text.splitlines()[0].startswith("run_id,")
    keys = await expect("keys", "GET", "keys", 200)
    assert_fields(keys, "IKeysReply")
    diffed = await expect("diff", "GET", "diff", 200, run_ids=f"{run},{other}")
    assert_fields(diffed, "IDiffReply")
    assert_fields(diffed["differences"][0], "IDifference")
    drift = await expect("runs/{run_id}/drift", "GET", f"runs/{run}/drift", 200, baseline=run)
    assert_fields(drift, "IDriftReport")
    assert_fields(drift["columns"][0], "IDriftColumn")
    assert_fields(drift["tables"][0], "IDriftTable")
    assert drift["columns"][0]["drifted"] is False  # a run against itself
    no_profile = await expect(
        "runs/{run_id}/drift", "GET", f"runs/{other}/drift", 404, baseline=run
    )
    assert "has no data profiles" in no_profile["message"]
    await expect("runs/{run_id}/drift", "GET", f"runs/{run}/drift", 400)  # no baseline
    listed_models = await expect("models", "GET", "models", 200)
    assert_fields(listed_models["models"][0], "IRegisteredModel")
    detail = await expect("models/{name}", "GET", "models/churn", 200)
    assert_fields(detail, "IModelDetail")
    assert_fields(detail["versions"][0], "IModelVersion")
    moved = await expect(
        "models/{name}/aliases",
        "POST",
        "models/churn/aliases",
        200,
        {"alias": "champion", "version": 1},
    )
    assert_fields(moved["event"], "IAliasEvent")
    assert moved["model"]["aliases"] == {"champion": 1}
    await expect("models/{name}/aliases/{alias}", "DELETE", "models/churn/aliases/champion", 200)
    run_models = await expect("runs/{run_id}/models", "GET", f"runs/{other}/models", 200)
    assert_fields(run_models["models"][0], "IRunModel")
    noted = await expect("runs/{run_id}/note", "POST", f"runs/{run}/note", 200, {"note": "ok"})
    assert_fields(noted, "IRun", "IRunDetail")
    assert noted["tags"]["mlops.note"] == "ok"
    edited = await expect(
        "runs/{run_id}/user-tags",
        "POST",
        f"runs/{run}/user-tags",
        200,
        {"set": {"owner": "ana"}, "remove": ["stage"]},
    )
    assert {k: v for k, v in edited["tags"].items() if k != "mlops.note"} == {"owner": "ana"}
    await expect("{anything else}", "GET", "no-such-route", 404)
    await expect("runs/{run_id}", "DELETE", f"runs/{other}", 204)
    trash = await expect("trash", "GET", "trash", 200)
    assert_fields(trash, "ITrashPage")
    assert_fields(trash["runs"][0], "IRun", "ITrashedRun")
    await expect("trash/restore", "POST", "trash/restore", 200, {"run_ids": [other]})
    assert seen == set(ROUTES), sorted(set(ROUTES) - seen)


async def test_every_route_refuses_a_request_without_a_token(
    http_server_client, jp_base_url, lab_store_url, surface
) -> None:
    values = {
        "run_id": surface["run_id"],
        "sha256": surface["table"],
        "job_id": "0" * 32,
        "name": "churn",
        "alias": "champion",
    }
    for route in ROUTES:
        path = "nope" if route == "{anything else}" else route.format_map(values)
        refused = []
        for method in ("GET", "POST", "DELETE"):
            with pytest.raises(tornado.httpclient.HTTPClientError) as info:
                await http_server_client.fetch(
                    f"{jp_base_url}{NS}/{path}",
                    method=method,
                    body="{}" if method == "POST" else None,
                    raise_error=True,
                )
            assert info.value.code in (401, 403, 405), (route, method, info.value.code)
            refused += [method] if info.value.code in (401, 403) else []
        assert refused, f"{route}: no method answered 401/403 without a token"
    store = mj.open_store(lab_store_url)
    assert store.count_runs() == 2 and store.get_run(surface["run_id"]).tags == {}
