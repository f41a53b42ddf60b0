"""GET /mlops-jupyter/diff through a real jupyter_server: the Differences tab's data."""

from __future__ import annotations

import pytest

from tests.server.test_routes import fetch_error, get_json


async def test_diff_lists_param_and_metric_differences_a_against_b(jp_fetch, runs):
    data = await get_json(jp_fetch, "diff", run_ids=f"{runs[0]},{runs[1]}")
    assert (data["a"], data["b"]) == (runs[0], runs[1])
    kinds = {(d["kind"], d["key"]) for d in data["differences"]}
    assert ("param", "model") in kinds and ("metric", "acc") in kinds
    acc = next(d for d in data["differences"] if d["key"] == "acc")
    assert acc["delta"] == pytest.approx(acc["b"] - acc["a"])


@pytest.mark.parametrize(
    ("run_ids", "needle"),
    [("abc", "bad run id"), ("{0},{1},{2}", "exactly 2 runs")],
)
async def test_diff_bad_ids_are_400(jp_fetch, runs, run_ids, needle):
    code, body = await fetch_error(jp_fetch, "diff", params={"run_ids": run_ids.format(*runs)})
    assert code == 400 and needle in body["message"]
