"""The scoring server over real HTTP: MLflow's four JSON formats and CSV, its health routes, and
bad requests answered with a 4xx JSON naming the column while the server keeps serving."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import requests
from sklearn.linear_model import LogisticRegression

import mlops_jupyter as mj
from mlops_jupyter.models.serving import ModelServer

X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "n": pd.array([1, 2, None, 4], dtype="Int64")})
Y = [0, 1, 0, 1]


class Model:
    """Fills the nullable column, then a logistic regression (a class with predict)."""

    def __init__(self) -> None:
        self.inner = LogisticRegression().fit(self._numbers(X).to_numpy(float), Y)

    @staticmethod
    def _numbers(frame: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({"a": frame["a"], "n": frame["n"].astype("Float64").fillna(0.0)})

    def predict(self, frame: pd.DataFrame):
        return self.inner.predict(self._numbers(frame).to_numpy(float))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    store = str(tmp_path_factory.mktemp("serve") / "runs.db")
    with mj.start_run(store=store) as run:
        info = mj.log_model(Model(), "m", input_example=X, run=run)
    model = mj.load_model(info.model_uri, store=store)
    served = ModelServer(model).start()
    yield served, list(model.predict(X))
    served.stop()


def _post(server, body, content_type="application/json"):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return requests.post(
        f"{server.url}/invocations", data=data, headers={"Content-Type": content_type}, timeout=10
    )


def test_health_and_version_routes_answer(server) -> None:
    served, _ = server
    assert served.host == "127.0.0.1"
    for route in ("ping", "health"):
        assert requests.get(f"{served.url}/{route}", timeout=5).status_code == 200
    assert requests.get(f"{served.url}/version", timeout=5).text == mj.__version__
    missing = requests.get(f"{served.url}/nope", timeout=5)
    assert missing.status_code == 404 and "POST /invocations" in missing.json()["message"]


def test_every_request_format_gets_the_same_predictions(server) -> None:
    served, expected = server
    rows = [{"a": a, "n": None if pd.isna(n) else int(n)} for a, n in zip(X.a, X.n, strict=True)]
    split = {"columns": ["a", "n"], "data": [[r["a"], r["n"]] for r in rows]}
    bodies = [
        ({"dataframe_split": split}, "application/json"),
        ({"dataframe_records": rows}, "application/json"),
        ({"instances": rows}, "application/json"),
        ({"inputs": {"a": list(X.a), "n": [r["n"] for r in rows]}}, "application/json"),
        (X.to_csv(index=False), "text/csv"),
    ]
    for body, kind in bodies:
        answer = _post(served, body, kind)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"predictions": expected}


def test_bad_requests_are_4xx_json_naming_the_problem_and_serving_goes_on(server) -> None:
    served, expected = server
    bad = [
        ({"dataframe_records": [{"a": 1.0}]}, "missing column(s) 'n'", "n"),
        ({"dataframe_records": [{"a": 1.0, "n": 1, "z": 2}]}, "unexpected column(s) 'z'", "z"),
        ({"dataframe_records": [{"a": "high", "n": 1}]}, "column 'a' expects float64", "a"),
        ({"dataframe_records": [{"a": 1.0, "n": 1.5}]}, "column 'n' expects Int64", "n"),
        ({"rows": []}, "exactly one of dataframe_split", None),
        (b"{not json", "not valid JSON", None),
    ]
    for body, message, column in bad:
        answer = _post(served, body)
        assert answer.status_code == 400, answer.text
        error = answer.json()
        assert error["error_code"] == "BAD_REQUEST" and message in error["message"], error
        assert error.get("column") == column
    refused = _post(served, "a\n1", "application/xml")
    assert refused.status_code == 400 and "text/csv" in refused.json()["message"]
    again = _post(served, {"dataframe_records": [{"a": 3.0, "n": 4}]})
    assert again.status_code == 200 and again.json() == {"predictions": expected[-1:]}


def test_mlflows_own_scoring_client_works_unchanged(server) -> None:
    """MLflow's client of its scoring server (the one `mlflow models serve` is tested with)."""
    from mlflow.pyfunc.scoring_server.client import ScoringServerClient

    served, expected = server
    client = ScoringServerClient(served.host, served.port)
    client.wait_server_ready(timeout=10)
    assert client.get_version() == mj.__version__
    answer = client.invoke(X, params={"ignored": 1})
    assert list(answer.get_predictions(predictions_format="ndarray")) == expected
