"""The scoring server's fast path over real HTTP: POST /invocations is answered below tornado's web
layer, numeric requests skip the per-request DataFrame (scikit-learn's own pipelines get an
ndarray) yet answer exactly as the general path does, and
every input the fast path does not take (other column order, booleans, text, nulls, extra or
missing columns, fractions for integers) still gets the general path's answer or 4xx."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import requests
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import mlops_jupyter as mj
from mlops_jupyter.models.fast_scoring import Scorer
from mlops_jupyter.models.serving import ModelServer

RNG = np.random.default_rng(1)
X = pd.DataFrame(RNG.normal(size=(40, 3)), columns=["a", "b", "c"])
Y = (X.a + X.b > 0).astype(int)


class ByName:
    """A class with predict that reads columns by name (it needs a DataFrame, not an array)."""

    def predict(self, frame: pd.DataFrame):
        return (frame["a"] * 2 + frame["c"]).to_numpy()


def _serve(tmp_path, model, example):
    tmp_path.mkdir(parents=True, exist_ok=True)
    store = str(tmp_path / "runs.db")
    with mj.start_run(store=store) as run:
        info = mj.log_model(model, "m", input_example=example, run=run)
    loaded = mj.load_model(info.model_uri, store=store)
    return loaded, ModelServer(loaded).start()


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, Y)
    loaded, served = _serve(tmp_path_factory.mktemp("fast"), model, X[:5])
    yield loaded, served
    served.stop()


def _post(served, body, content_type="application/json"):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return requests.post(
        f"{served.url}/invocations", data=data, headers={"Content-Type": content_type}, timeout=10
    )


def _bodies(frame: pd.DataFrame) -> list[tuple[object, str]]:
    rows = frame.to_numpy().tolist()
    records = frame.to_dict(orient="records")
    return [
        ({"dataframe_split": {"columns": list(frame.columns), "data": rows}}, "application/json"),
        ({"dataframe_records": records}, "application/json"),
        ({"instances": records}, "application/json"),
        (frame.to_csv(index=False), "text/csv"),
    ]


def test_scikit_learn_pipelines_score_arrays_with_the_same_predictions(pipeline) -> None:
    loaded, served = pipeline
    assert Scorer(loaded).array_ok  # the plan found an all-scikit-learn pipeline
    expected = loaded.predict(X).tolist()
    for body, kind in _bodies(X):
        answer = _post(served, body, kind)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"predictions": expected}
        assert answer.headers["Content-Type"] == "application/json"
    wrong_method = requests.get(f"{served.url}/invocations", timeout=10)  # the web layer's answer
    assert wrong_method.status_code == 405 and wrong_method.json()["error_code"] == "BAD_REQUEST"
    one = _post(served, {"dataframe_split": {"columns": ["a", "b", "c"], "data": [[1, 2, 3]]}})
    ints = pd.DataFrame([[1.0, 2.0, 3.0]], columns=["a", "b", "c"])
    assert one.json() == {"predictions": loaded.predict(ints).tolist()}


def test_inputs_off_the_fast_path_answer_as_the_general_path_does(pipeline) -> None:
    loaded, served = pipeline
    reordered = X[["c", "a", "b"]]
    split = {"columns": list(reordered.columns), "data": reordered.to_numpy().tolist()}
    assert _post(served, {"dataframe_split": split}).json() == {
        "predictions": loaded.predict(X).tolist()
    }
    indexed = {"columns": ["a", "b", "c"], "data": [[0.5, 0.1, 0.2]], "index": [7]}
    assert _post(served, {"dataframe_split": indexed}).status_code == 200
    as_text = {"columns": ["a", "b", "c"], "data": [["0.5", 0.1, 0.2]]}
    as_numbers = {"columns": ["a", "b", "c"], "data": [[0.5, 0.1, 0.2]]}
    text_answer = _post(served, {"dataframe_split": as_text}).json()
    assert text_answer == _post(served, {"dataframe_split": as_numbers}).json()
    refused = {
        "b": {"dataframe_split": {"columns": ["a", "b", "c"], "data": [[0.5, True, 0.2]]}},
        "c": {"dataframe_records": [{"a": 0.5, "b": 0.1}]},
        "d": {"dataframe_records": [{"a": 0.5, "b": 0.1, "c": 0.2, "d": 1.0}]},
    }
    for column, body in refused.items():
        answer = _post(served, body)
        assert answer.status_code == 400 and answer.json()["column"] == column, answer.text
    for bad in ([[0.5, None, 0.2]], [[0.5, 0.1]], [[0.5, 0.1, 0.2], [0.3]], [[[0.5, 0.1, 0.2]]]):
        answer = _post(served, {"dataframe_split": {"columns": ["a", "b", "c"], "data": bad}})
        assert answer.status_code == 400 and answer.json()["error_code"] == "BAD_REQUEST"
    positional = _post(served, {"inputs": [[0.5, 0.1, 0.2]]})  # rows name no columns: refused
    assert positional.status_code == 400 and positional.json()["column"] == "a"
    assert _post(served, {"dataframe_records": X.to_dict(orient="records")}).status_code == 200


def test_models_that_need_frames_get_frames_and_integers_stay_integers(tmp_path) -> None:
    names = ColumnTransformer([("scale", StandardScaler(), ["a", "b"])])
    by_columns = make_pipeline(names, LogisticRegression()).fit(X, Y)
    for model in (by_columns, ByName()):
        loaded, served = _serve(tmp_path / type(model).__name__, model, X[:5])
        try:
            scorer = Scorer(loaded)
            assert scorer.fast and not scorer.array_ok
            for body, kind in _bodies(X):
                answer = _post(served, body, kind)
                assert answer.json() == {"predictions": loaded.predict(X).tolist()}, answer.text
        finally:
            served.stop()
    counts = pd.DataFrame({"a": [1, 2, 3], "b": [0, 1, 1], "c": [5, 5, 6]})
    loaded, served = _serve(tmp_path / "ints", ByName(), counts)
    try:
        split = {"columns": ["a", "b", "c"], "data": [[1, 2, 3]]}
        assert _post(served, {"dataframe_split": split}).json() == {"predictions": [5]}
        split["data"] = [[1.5, 2, 3]]
        fraction = _post(served, {"dataframe_split": split})
        assert fraction.status_code == 400 and fraction.json()["column"] == "a"
    finally:
        served.stop()
