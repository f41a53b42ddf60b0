"""The scoring server's authentication over real HTTP: no token on loopback still speaks MLflow's
protocol; with a token, every route but GET /ping and /health needs it (401 without, 403 when
wrong); and `models serve` refuses a non-loopback bind without one (exit 2, naming the fix)."""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
import pytest
import requests
from sklearn.tree import DecisionTreeClassifier

import mlops_jupyter as mj
from mlops_jupyter.cli.main import main
from mlops_jupyter.errors import InvalidArgumentError
from mlops_jupyter.models.serve_auth import is_loopback, serve_token
from mlops_jupyter.models.serving import ModelServer

X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "b": [1, 0, 1, 0]})
ROWS = {"dataframe_records": [{"a": 1.0, "b": 0}]}
TOKEN = "s3cret-Token_for-tests"


@pytest.fixture(scope="module")
def logged(tmp_path_factory):
    store = str(tmp_path_factory.mktemp("auth") / "runs.db")
    with mj.start_run(store=store) as run:
        info = mj.log_model(
            DecisionTreeClassifier().fit(X, [0, 1, 0, 1]), "tree", input_example=X, run=run
        )
    return store, info.model_uri, mj.load_model(info.model_uri, store=store)


@pytest.fixture(scope="module")
def guarded(logged):
    served = ModelServer(logged[2], token=TOKEN).start()
    yield served
    served.stop()


def _invoke(url, authorization=None, route="invocations"):
    headers = {} if authorization is None else {"Authorization": authorization}
    return requests.post(f"{url}/{route}", json=ROWS, headers=headers, timeout=10)


def test_without_a_token_loopback_answers_mlflows_protocol_unchanged(logged) -> None:
    from mlflow.pyfunc.scoring_server.client import ScoringServerClient

    served = ModelServer(logged[2]).start()
    try:
        client = ScoringServerClient(served.host, served.port)
        client.wait_server_ready(timeout=10)
        answer = client.invoke(X)
        assert list(answer.get_predictions(predictions_format="ndarray")) == [0, 1, 0, 1]
        assert _invoke(served.url).json() == {"predictions": [1]}
    finally:
        served.stop()


def test_with_a_token_invocations_need_the_right_one(guarded) -> None:
    missing = _invoke(guarded.url)
    assert missing.status_code == 401, missing.text
    assert missing.json()["error_code"] == "UNAUTHENTICATED"
    assert "Authorization: Bearer TOKEN" in missing.json()["message"]
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert _invoke(guarded.url, f"Basic {TOKEN}").status_code == 401
    wrong = _invoke(guarded.url, "Bearer not-the-token")
    assert wrong.status_code == 403 and wrong.json()["error_code"] == "PERMISSION_DENIED"
    assert "MLOPS_JUPYTER_SERVE_TOKEN" in wrong.json()["message"]
    assert _invoke(guarded.url, f"Bearer {TOKEN}x").status_code == 403
    for header in (f"Bearer {TOKEN}", f"token {TOKEN}", f"bearer  {TOKEN} "):
        right = _invoke(guarded.url, header)
        assert right.status_code == 200 and right.json() == {"predictions": [1]}, header


def test_only_get_ping_and_health_stay_open(guarded) -> None:
    for route in ("ping", "health"):
        assert requests.get(f"{guarded.url}/{route}", timeout=5).status_code == 200
    assert requests.get(f"{guarded.url}/version", timeout=5).status_code == 401
    assert _invoke(guarded.url, route="ping").status_code == 401
    unknown = requests.get(f"{guarded.url}/nope", timeout=5)
    assert unknown.status_code == 401 and "POST /invocations" not in unknown.text
    known = requests.get(
        f"{guarded.url}/version", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5
    )
    assert known.status_code == 200 and known.text == mj.__version__


def test_a_non_loopback_bind_without_a_token_exits_2_naming_the_fix(
    logged, capsys, monkeypatch
) -> None:
    monkeypatch.delenv("MLOPS_JUPYTER_SERVE_TOKEN", raising=False)
    store, uri, model = logged
    for host in ("0.0.0.0", "::", "192.168.1.7", "example.org"):
        code = main(["--store", store, "models", "serve", uri, "--host", host, "--port", "0"])
        err = capsys.readouterr().err
        assert code == 2 and err.count("\n") == 1, err
        assert f"refusing to serve on {host} without authentication" in err
        assert "--token" in err and "MLOPS_JUPYTER_SERVE_TOKEN" in err and "127.0.0.1" in err
    with pytest.raises(InvalidArgumentError, match=r"bind 127\.0\.0\.1"):
        ModelServer(model, host="0.0.0.0")
    assert main(["--store", store, "models", "serve", uri, "--token", " "]) == 2
    assert "--token is empty" in capsys.readouterr().err
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"))


def test_the_token_comes_from_the_flag_the_environment_or_is_generated(monkeypatch) -> None:
    monkeypatch.setenv("MLOPS_JUPYTER_SERVE_TOKEN", "from-env")
    assert serve_token("0.0.0.0", None, generate=False) == ("from-env", False)
    assert serve_token("0.0.0.0", "from-flag", generate=False) == ("from-flag", False)
    generated, fresh = serve_token("0.0.0.0", None, generate=True)
    assert fresh and len(generated) >= 40 and generated != serve_token("x", None, True)[0]
    with pytest.raises(InvalidArgumentError, match="visible ASCII"):
        serve_token("127.0.0.1", "two words", generate=False)


def test_serve_generate_token_prints_it_once_on_stderr_and_requires_it(logged) -> None:
    store, uri, _ = logged
    env = {k: v for k, v in os.environ.items() if k != "MLOPS_JUPYTER_SERVE_TOKEN"}
    command = [sys.executable, "-m", "mlops_jupyter.cli", "--store", store, "models", "serve"]
    proc = subprocess.Popen(
        [*command, uri, "--port", "0", "--generate-token"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**env, "PYTHONWARNINGS": "ignore"},
    )
    try:
        line = proc.stdout.readline()
        assert "Authorization: Bearer TOKEN" in line, line
        url = line.split(" at ")[1].split()[0]
        said = proc.stderr.readline()
        assert said.startswith("serving token (shown once): "), said
        token = said.split(": ", 1)[1].strip()
        assert token not in line
        assert _invoke(url).status_code == 401
        assert _invoke(url, f"Bearer {token}").json() == {"predictions": [1]}
    finally:
        proc.terminate()
        _, rest = proc.communicate(timeout=10)
    assert token not in rest
