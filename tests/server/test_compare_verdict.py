"""`runs compare`, `%runs compare` and the compare route give one verdict (0.1 vs 0.1000001)."""

from __future__ import annotations

import json

import mlops_jupyter as mj
from mlops_jupyter.cli import main
from mlops_jupyter.magics.widgets import compare_runs


def two_runs(store_url: str) -> list[str]:
    ids = []
    for lr in (0.1, 0.1000001):
        with mj.start_run("close", store=store_url, params={"lr": lr, "model": "rf"}) as run:
            run.log_metric("acc", 0.9)
            ids.append(run.run_id)
    return ids


def marked_rows(text: str) -> set[str]:
    return {line.split()[1] for line in text.splitlines() if line.startswith("*")}


async def test_cli_magic_and_route_agree(jp_fetch, lab_store_url, capsys, monkeypatch) -> None:
    ids = two_runs(lab_store_url)
    assert main(["--store", lab_store_url, "runs", "compare", *ids]) == 0
    cli_out = capsys.readouterr().out
    assert marked_rows(cli_out) == {"params.lr"}
    assert "0.1000001" in cli_out  # shown with the digits that make the difference

    monkeypatch.setenv("MLOPS_JUPYTER_STORE", lab_store_url)
    compare_runs(ids)  # no IPython shell here: display() prints the text/plain table
    magic_out = capsys.readouterr().out
    assert "* params.lr" in magic_out and "* params.model" not in magic_out
    assert "0.1000001" in magic_out

    reply = json.loads(
        (await jp_fetch("mlops-jupyter", "compare", params={"run_ids": ",".join(ids)})).body
    )
    assert reply["differing_params"] == ["lr"]
    lr = next(f for f in reply["fields"] if f["family"] == "params" and f["key"] == "lr")
    assert lr["texts"] == ["0.1", "0.1000001"]
