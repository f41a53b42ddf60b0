"""The `mlops-jupyter runs` and `store` commands, as a user types them."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest

import mlops_jupyter as mj


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mlops_jupyter.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def three_runs() -> list[str]:
    ids = []
    for lr, model in ((0.1, "rf"), (0.01, "rf"), (0.5, "svm")):
        with mj.start_run(
            f"{model}-{lr}", experiment="cli", params={"lr": lr, "model": model}
        ) as run:
            run.log_metric("acc", 1 - lr)
            run.log_artifact(b"bytes of " + model.encode(), name="model.bin")
        ids.append(run.run_id)
    return ids


def test_ls_table_filter_sort_limit(three_runs) -> None:
    done = cli(
        "runs",
        "ls",
        "--filter",
        "params.model == 'rf'",
        "--sort",
        "metrics.acc DESC",
        "--limit",
        "1",
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split()[:6] == ["run_id", "name", "status", "experiment", "start", "duration"]
    assert len(lines) == 3 and "rf-0.01" in lines[2] and "0.99" in lines[2]


def test_ls_csv_and_json(three_runs) -> None:
    rows = list(csv.DictReader(io.StringIO(cli("runs", "ls", "--format", "csv").stdout)))
    assert {r["name"] for r in rows} == {"rf-0.1", "rf-0.01", "svm-0.5"}
    data = json.loads(cli("runs", "ls", "--format", "json", "--experiment", "cli").stdout)
    assert {d["params.model"] for d in data} == {"rf", "svm"}


def test_ls_on_an_empty_store_says_how_to_start() -> None:
    done = cli("runs", "ls")
    assert done.returncode == 0 and "no runs yet" in done.stdout


def test_show_text_and_json(three_runs) -> None:
    done = cli("runs", "show", three_runs[0][:8])
    assert done.returncode == 0
    for expected in (
        "rf-0.1",
        "params:",
        "lr",
        "metrics:",
        "acc",
        "artifacts:",
        "model.bin",
        "provenance:",
        "python",
    ):
        assert expected in done.stdout
    data = json.loads(cli("runs", "show", three_runs[0], "--format", "json").stdout)
    assert (
        data["params"] == {"lr": 0.1, "model": "rf"} and data["artifacts"][0]["name"] == "model.bin"
    )


def test_compare_marks_differences(three_runs) -> None:
    done = cli("runs", "compare", *(r[:8] for r in three_runs[:2]))
    assert done.returncode == 0
    rows = {
        line.split()[1] if line.startswith("*") else line.split()[0]: line
        for line in done.stdout.splitlines()[2:]
    }
    assert rows["params.lr"].startswith("*")
    assert not rows["params.model"].startswith("*")
    assert rows["metrics.acc"].startswith("*")


def test_rm_and_gc(three_runs) -> None:
    done = cli("runs", "rm", three_runs[2][:8])
    assert done.returncode == 0 and three_runs[2] in done.stdout
    assert "svm" not in cli("runs", "ls").stdout
    assert "kept 1 unreferenced blobs younger than 1h00m" in cli("store", "gc").stdout
    gc = cli("store", "gc", "--grace", "0")
    assert "removed 1 unreferenced blobs" in gc.stdout
    assert "rf-0.1" in cli("runs", "ls").stdout


def test_store_info(three_runs) -> None:
    done = cli("store", "info")
    assert done.returncode == 0
    assert "runs_count         3" in done.stdout and "schema_version" in done.stdout
