"""`mlops-jupyter models ...` as a user runs it: ls, show, register, alias (and the gate's exit
code), predict to CSV, Parquet and JSON, and `serve` answering over real HTTP."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass

import pandas as pd
import pytest
import requests
from sklearn.tree import DecisionTreeClassifier

import mlops_jupyter as mj
from mlops_jupyter.cli.main import main

X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "b": [1, 0, 1, 0]})


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(capsys):
    """`mlops-jupyter --store STORE models ...` in this process (the entry point `main`), so
    the many calls cost no interpreter start each; `serve` below runs as a real subprocess."""

    def run(store, *args, check=True) -> Done:
        code = main(["--store", store, "models", *args])
        out, err = capsys.readouterr()
        assert not check or code == 0, err
        return Done(code, out, err)

    return run


def _logged(store, status="finished") -> str:
    run = mj.start_run(name="train", store=store)
    info = mj.log_model(DecisionTreeClassifier().fit(X, [0, 1, 0, 1]), "tree", input_example=X)
    run.end(status, error="boom" if status == "failed" else None)
    return info.model_uri


def test_register_alias_show_ls_and_the_gate(tmp_path, cli) -> None:
    store = str(tmp_path / "runs.db")
    good, failed = _logged(store), _logged(store, "failed")
    assert "registered churn version 1" in cli(store, "register", good, "churn").stdout
    assert "version 2" in cli(store, "register", failed, "churn").stdout
    assert "churn@champion -> version 1" in cli(store, "alias", "churn", "champion", "1").stdout
    refused = cli(store, "alias", "churn", "champion", "2", check=False)
    assert refused.returncode == 2 and "is failed: boom" in refused.stderr
    assert "--force" in refused.stderr
    forced = cli(store, "alias", "churn", "champion", "2", "--force").stdout
    assert "(was version 1); FORCED past the gate" in forced
    listed = cli(store, "ls").stdout
    assert "churn" in listed and "champion=v2" in listed
    shown = cli(store, "show", "churn").stdout
    assert "a: float64, b: int64 -> int64" in shown and "v1 -> v2 by" in shown
    assert "FORCED" in shown
    data = json.loads(cli(store, "show", "churn", "--format", "json").stdout)
    assert [v["version"] for v in data["versions"]] == [2, 1]
    assert data["versions"][0]["refusals"] and not data["versions"][1]["refusals"]
    missing = cli(store, "show", "nope", check=False)
    assert missing.returncode == 2 and "no registered model 'nope'" in missing.stderr


def test_predict_reads_and_writes_csv_parquet_and_json(tmp_path, cli) -> None:
    store = str(tmp_path / "runs.db")
    uri = _logged(store)
    expected = list(mj.load_model(uri, store=store).predict(X))
    X.to_csv(tmp_path / "in.csv", index=False)
    X.to_parquet(tmp_path / "in.parquet")
    X.to_json(tmp_path / "in.json", orient="records")
    readers = {
        ".csv": pd.read_csv,
        ".parquet": pd.read_parquet,
        ".json": lambda p: pd.read_json(p, orient="records"),
    }
    for source, target in ((".csv", ".parquet"), (".parquet", ".json"), (".json", ".csv")):
        out = tmp_path / f"out{target}"
        cli(store, "predict", uri, str(tmp_path / f"in{source}"), "-o", str(out))
        assert list(readers[target](out)["prediction"]) == expected
    (tmp_path / "bad.csv").write_text("a,c\n1,2\n")
    bad = cli(
        store, "predict", uri, str(tmp_path / "bad.csv"), "-o", str(tmp_path / "o.csv"), check=False
    )
    assert bad.returncode == 2 and "missing column(s) 'b'" in bad.stderr
    wrong = cli(store, "predict", uri, str(tmp_path / "in.csv"), "-o", "out.txt", check=False)
    assert wrong.returncode == 2 and ".csv, .parquet, .json" in wrong.stderr


def test_serve_answers_over_http_on_loopback(tmp_path) -> None:
    store = str(tmp_path / "runs.db")
    uri = _logged(store)
    mj.register_model(uri, "tree", store=store)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mlops_jupyter.cli",
            "--store",
            store,
            "models",
            "serve",
            "models:/tree/1",
            "--port",
            "0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        assert "serving models:/tree/1 at http://127.0.0.1:" in line, proc.stderr.read()
        url = line.split(" at ")[1].split()[0]
        deadline = time.monotonic() + 10
        while requests.get(f"{url}/ping", timeout=5).status_code != 200:
            assert time.monotonic() < deadline
        answer = requests.post(
            f"{url}/invocations", json={"dataframe_records": [{"a": 1.0, "b": 0}]}, timeout=10
        )
        assert answer.json() == {"predictions": [1]}
    finally:
        proc.terminate()
        proc.wait(10)
