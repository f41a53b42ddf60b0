"""The routes the Runs panel's filter box uses: /keys, and the "did you mean" 400 of /runs."""

from __future__ import annotations

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
