"""The run page's edits over real HTTP: the note (POST /runs/{id}/note), user tags added,
renamed and removed in one request (POST /runs/{id}/user-tags, `mlops.*` refused), and table
previews that keep the DataFrame index."""

from __future__ import annotations

import json

import pandas as pd

import mlops_jupyter as mj
from tests.server.conftest import XSS
from tests.server.test_routes import NS, fetch_error, get_json


async def post_json(jp_fetch, *path, body):
    response = await jp_fetch(NS, *path, method="POST", body=json.dumps(body))
    return json.loads(response.body)


def _run(store_url: str) -> str:
    with mj.start_run("noted", store=store_url) as run:
        run.set_tags({"stage": "dev", "mlops.kind": "cell"})
    return run.run_id


async def test_a_note_is_saved_read_back_as_text_and_cleared(jp_fetch, lab_store_url):
    run_id = _run(lab_store_url)
    note = f"# Why\nlr too high? {XSS}\n"
    saved = await post_json(jp_fetch, "runs", run_id, "note", body={"note": note})
    assert saved["tags"]["mlops.note"] == note  # the exact text: the panel renders it as text
    again = await get_json(jp_fetch, "runs", run_id)
    assert again["tags"]["mlops.note"] == note
    cleared = await post_json(jp_fetch, "runs", run_id, "note", body={"note": "  "})
    assert "mlops.note" not in cleared["tags"]
    assert cleared["tags"] == {"stage": "dev", "mlops.kind": "cell"}


async def test_a_bad_note_is_a_json_400_naming_the_problem(jp_fetch, lab_store_url):
    run_id = _run(lab_store_url)
    code, data = await fetch_error(jp_fetch, "runs", run_id, "note", method="POST", body={})
    assert code == 400 and "missing key(s) 'note'" in data["message"]
    code, data = await fetch_error(
        jp_fetch, "runs", run_id, "note", method="POST", body={"note": 3}
    )
    assert code == 400 and "wrong type" in data["message"]
    code, data = await fetch_error(
        jp_fetch, "runs", run_id, "note", method="POST", body={"note": "x" * 8001}
    )
    assert code == 400 and "limit is 8000" in data["message"]
    code, data = await fetch_error(
        jp_fetch, "runs", "f" * 32, "note", method="POST", body={"note": "x"}
    )
    assert code == 404
    assert "mlops.note" not in mj.open_store(lab_store_url).get_run(run_id).tags


async def test_user_tags_are_added_renamed_and_removed_in_one_request(jp_fetch, lab_store_url):
    run_id = _run(lab_store_url)
    added = await post_json(
        jp_fetch, "runs", run_id, "user-tags", body={"set": {"owner": "ana", XSS: XSS}}
    )
    assert added["tags"] == {"stage": "dev", "mlops.kind": "cell", "owner": "ana", XSS: XSS}
    renamed = await post_json(
        jp_fetch,
        "runs",
        run_id,
        "user-tags",
        body={"set": {"phase": "dev"}, "remove": ["stage", XSS]},
    )
    assert renamed["tags"] == {"phase": "dev", "mlops.kind": "cell", "owner": "ana"}
    listed = await get_json(jp_fetch, "runs", filter="tags.phase = 'dev'")
    assert [r["run_id"] for r in listed["runs"]] == [run_id]  # the filter sees the edit


async def test_system_tags_are_read_only(jp_fetch, lab_store_url):
    run_id = _run(lab_store_url)
    for body in ({"set": {"mlops.kind": "forged"}}, {"remove": ["mlops.kind"]}):
        code, data = await fetch_error(
            jp_fetch, "runs", run_id, "user-tags", method="POST", body=body
        )
        assert code == 400, body
        assert "'mlops.kind' is a system tag" in data["message"]
    code, data = await fetch_error(
        jp_fetch, "runs", run_id, "user-tags", method="POST", body={"set": {}}
    )
    assert code == 400 and "nothing to do" in data["message"]
    code, data = await fetch_error(
        jp_fetch, "runs", run_id, "user-tags", method="POST", body={"remove": [1]}
    )
    assert code == 400 and "as strings" in data["message"]
    tags = mj.open_store(lab_store_url).get_run(run_id).tags
    assert tags == {"stage": "dev", "mlops.kind": "cell"}  # nothing half-written


async def test_table_previews_keep_the_dataframe_index(jp_fetch, lab_store_url):
    by_model = pd.DataFrame({"acc": [0.91, 0.87]}, index=pd.Index(["rf", "svm"], name="model"))
    nested = pd.DataFrame(
        {"n": [3, 4]}, index=pd.MultiIndex.from_tuples([("a", 1), ("b", 2)], names=["g", None])
    )
    with mj.start_run("tables", store=lab_store_url) as run:
        run.log_table(by_model, "by_model")
        run.log_table(nested, "nested")
    shas = {a.name: a.sha256 for a in mj.open_store(lab_store_url).get_run(run.run_id).artifacts}
    one = await get_json(
        jp_fetch, "runs", run.run_id, "artifacts", shas["by_model.table.json"], "preview"
    )
    assert one["index_columns"] == ["model"] and one["index"] == [["rf"], ["svm"]]
    assert one["columns"] == ["acc"] and one["rows"] == [[0.91], [0.87]]
    two = await get_json(
        jp_fetch, "runs", run.run_id, "artifacts", shas["nested.table.json"], "preview"
    )
    assert two["index_columns"] == ["g", ""] and two["index"] == [["a", 1], ["b", 2]]


async def test_the_tag_dialog_route_refuses_system_tags_too(jp_fetch, lab_store_url):
    """POST /runs/{id}/tags (the panel's Tag dialogs) cannot forge a `mlops.*` tag either."""
    run_id = _run(lab_store_url)
    code, data = await fetch_error(
        jp_fetch, "runs", run_id, "tags", method="POST", body={"tags": {"mlops.gate": "pass"}}
    )
    assert code == 400 and "'mlops.gate' is a system tag" in data["message"]
    tagged = await post_json(jp_fetch, "runs", run_id, "tags", body={"tags": {"owner": "ana"}})
    assert tagged["tags"]["owner"] == "ana"
