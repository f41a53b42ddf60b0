"""`check-metrics --promote` with a registry alias as the baseline (CT's gate): a passing run's
model is registered and the alias moves through the models' promotion gate; a failing metric
or a refusing gate leaves the champion where it was."""

from __future__ import annotations

import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import mlops_jupyter as mj
from mlops_jupyter.cli.main import main
from mlops_jupyter.models.gate import NOT_REPRODUCED, REPRODUCE_VERDICT_TAG
from mlops_jupyter.store import open_store

X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "b": [1.0, 0.0, 1.0, 0.0]})
Y = [0, 1, 0, 1]


def _trained(store_url: str, acc: float, tags: dict[str, str] | None = None) -> str:
    with mj.start_run("ct", store=store_url, tags=tags) as run:
        run.log_metric("acc", acc)
        mj.log_model(LogisticRegression().fit(X, Y), "clf", input_example=X, run=run)
    return run.run_id


def _gate(store_url: str, run_id: str, max_drop: float = 0.01) -> list[str]:
    return [
        *("--store", store_url, "check-metrics", run_id, "--metric", "acc"),
        *("--max-drop", str(max_drop), "--baseline", "models:/clf@champion", "--promote"),
    ]


def test_a_passing_run_becomes_the_registry_champion_through_the_gate(
    store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    first = _trained(store_url, 0.90)
    assert main(_gate(store_url, first)) == 0  # nobody holds it yet: the first champion
    assert "promoted models:/clf@champion to version 1" in capsys.readouterr().err
    store = open_store(store_url)
    assert store.alias_version("clf", "champion") == 1

    worse = _trained(store_url, 0.86)  # dropped 0.04 > 0.01: no new version, no move
    assert main(_gate(store_url, worse)) == 1
    assert store.alias_version("clf", "champion") == 1
    assert len(mj.model_versions("clf", store=store)) == 1

    better = _trained(store_url, 0.95)
    assert main(_gate(store_url, better)) == 0
    assert store.alias_version("clf", "champion") == 2
    assert store.get_model_version("clf", 2).run_id == better
    # the next gate compares with the new champion (0.95), through the registry
    assert main(_gate(store_url, _trained(store_url, 0.93))) == 1


def test_the_promotion_gate_refuses_a_run_that_did_not_reproduce(
    store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(_gate(store_url, _trained(store_url, 0.90))) == 0
    shaky = _trained(store_url, 0.97, tags={REPRODUCE_VERDICT_TAG: NOT_REPRODUCED})
    assert main(_gate(store_url, shaky)) == 2
    err = capsys.readouterr().err
    assert "not moving clf@champion to version 2" in err and "gave other results" in err
    assert open_store(store_url).alias_version("clf", "champion") == 1


def test_a_run_with_no_model_keeps_the_run_tag_alias(store_url: str) -> None:
    with mj.start_run("no-model", store=store_url) as run:
        run.log_metric("acc", 0.9)
    assert main(_gate(store_url, run.run_id)) == 0
    assert open_store(store_url).get_run(run.run_id).tags["alias.clf"] == "champion"
