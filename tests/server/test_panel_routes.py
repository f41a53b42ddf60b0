"""The routes the Runs panel's filter box uses: /keys, and the "did you mean" 400 of /runs."""

from __future__ import annotations

import json

from tests.server.test_routes import fetch_error, get_json


async def test_keys_lists_what_the_store_has(jp_fetch, runs) -> None:
    keys = await get_json(jp_fetch, "keys")
    assert keys["params"] == ["depth", "flag", "lr", "model"]
    assert keys["metrics"] == ["acc", "loss"]
    assert keys["experiments"] == ["demo"]
    assert "parent_run_id" in keys["fields"] and "start_time" in keys["fields"]


async def test_a_key_typo_is_a_400_with_the_suggestion(jp_fetch, runs) -> None:
    code, body = await fetch_error(jp_fetch, "runs", params={"filter": "metrics.acuracy > 0.5"})
    assert code == 400
    assert "unknown metric 'acuracy'; did you mean 'acc'?" in body["message"]
    code, body = await fetch_error(jp_fetch, "runs", params={"filter": "lr == 0.1"})
    assert code == 400 and "did you mean 'params.lr'?" in body["message"]


async def test_mlflow_syntax_and_dates_list_runs(jp_fetch, runs) -> None:
    page = await get_json(jp_fetch, "runs", filter="params.model = 'rf' AND name LIKE 'run-%'")
    assert sorted(r["name"] for r in page["runs"]) == ["run-0", "run-2"]
    page = await get_json(jp_fetch, "runs", filter="start_time > '2000-01-01'")
    assert page["total"] == len(runs)
    # a known key that matches nothing is an empty list, not an error
    page = await get_json(jp_fetch, "runs", filter="metrics.acc > 5")
    assert page["total"] == 0


async def test_delete_is_soft_with_children_trash_and_restore(jp_fetch, lab_store_url) -> None:
    import mlops_jupyter as mj

    store = mj.open_store(lab_store_url)
    parent = store.create_run(name="sweep-x")
    points = [store.create_run(name=f"x[{i}]", parent_run_id=parent) for i in range(4)]
    page = await get_json(jp_fetch, "runs")
    assert page["child_counts"] == {parent: 4}
    await jp_fetch("mlops-jupyter", "runs", parent, method="DELETE", params={"children": "1"})
    assert (await get_json(jp_fetch, "runs"))["total"] == 0
    trash = await get_json(jp_fetch, "trash")
    assert trash["total"] == 5 and {r["run_id"] for r in trash["runs"]} == {parent, *points}
    assert all(r["deleted_at"] for r in trash["runs"])
    detail = await get_json(jp_fetch, "runs", parent)  # a trashed run still opens
    assert detail["name"] == "sweep-x"
    response = await jp_fetch(
        "mlops-jupyter", "trash", "restore", method="POST", body=json.dumps({"run_ids": [parent]})
    )
    assert len(json.loads(response.body)["restored"]) == 5
    assert (await get_json(jp_fetch, "runs"))["total"] == 5
    code, body = await fetch_error(
        jp_fetch, "trash", "restore", method="POST", body={"run_ids": ["nope"]}
    )
    assert code == 400 and "bad run id 'nope'" in body["message"]


async def test_importance_ranks_the_param_that_drives_the_metric(jp_fetch, lab_store_url) -> None:
    import mlops_jupyter as mj

    store = mj.open_store(lab_store_url)
    ids = []
    for i in range(12):
        run_id = store.create_run(name=f"hp{i}", params={"lr": 0.01 * (i + 1), "seed": i % 3})
        store.log_metrics([(run_id, "acc", 0, 0.5 + 0.03 * i, 1.0)])  # acc follows lr only
        ids.append(run_id)
    reply = await get_json(jp_fetch, "importance", run_ids=",".join(ids), metric="acc")
    assert reply["importance"]["lr"] > 0.8 > reply["importance"]["seed"]
    assert "random forest" in reply["method"]
    code, body = await fetch_error(jp_fetch, "importance", params={"run_ids": ",".join(ids[:2])})
    assert code == 400 and "needs ?metric=NAME" in body["message"]


async def test_runs_csv_lists_the_filtered_runs(jp_fetch, runs) -> None:
    import csv
    import io

    response = await jp_fetch(
        "mlops-jupyter", "runs.csv", params={"filter": "params.model == 'rf'", "order_by": "name"}
    )
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.body.decode())))
    assert [r["name"] for r in rows] == ["run-0", "run-2"]
    assert rows[0]["params.model"] == "rf" and float(rows[1]["metrics.acc"]) == 0.8
