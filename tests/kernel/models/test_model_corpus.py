"""The model corpus: models built in a real kernel the ways notebooks build them, each logged, then
loaded in a fresh `python -c` process in another folder (no notebook, no local module on the
path) where every one must predict exactly what it predicted in the kernel."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

HELPERS = '''
import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin


class Doubler(BaseEstimator, TransformerMixin):
    """A transformer living in a local module of the project."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return np.asarray(X, dtype=float) * 2.0


class RuleModel:
    """A plain class with predict, in a local module."""

    def __init__(self, cut):
        self.cut = cut

    def predict(self, X):
        return (np.asarray(X, dtype=float)[:, 0] > self.cut).astype(int)
'''

SETUP = """
import numpy as np, pandas as pd, pickle
import mlops_jupyter as mj
rng = np.random.default_rng(0)
X = pd.DataFrame({"a": rng.normal(size=80), "b": rng.normal(size=80), "c": rng.integers(0, 5, 80)})
y = ((X.a + X.b) > 0).astype(int)
CASES = {}

def record(case, model, data, **kwargs):
    with mj.start_run(name=case):
        info = mj.log_model(model, case, input_example=data[:5], **kwargs)
    native = model.predict(data) if not hasattr(model, "num_trees") else None
    expected = mj.load_model(info.model_uri).predict(data)
    CASES[case] = {"uri": info.model_uri, "X": data, "expected": expected, "native": native}
"""

CELLS = [
    SETUP,
    # 1. a transformer class defined in a cell, inside a scikit-learn pipeline
    """
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.pipeline import make_pipeline
from sklearn.linear_model import LogisticRegression

class AddSquares(BaseEstimator, TransformerMixin):
    def fit(self, X, y=None):
        return self
    def transform(self, X):
        X = np.asarray(X, dtype=float)
        return np.hstack([X, X ** 2])

record("cell_transformer", make_pipeline(AddSquares(), LogisticRegression()).fit(X, y), X)
""",
    # 2. a function defined in a cell, through FunctionTransformer; 3. a lambda
    """
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.tree import DecisionTreeClassifier
OFFSET = 3.0
def shift(X):
    return np.asarray(X, dtype=float) + OFFSET
record("cell_function", make_pipeline(FunctionTransformer(shift), LogisticRegression()).fit(X, y),
       X)
tree = DecisionTreeClassifier(random_state=0)
record("cell_lambda", make_pipeline(FunctionTransformer(lambda Z: np.abs(Z)), tree).fit(X, y), X)
""",
    # 4. a transformer from a local module; 5. a plain class with predict from a local module
    """
import helpers
record("local_module", make_pipeline(helpers.Doubler(), LogisticRegression()).fit(X, y), X)
record("local_plain_class", helpers.RuleModel(0.1), X.to_numpy())
""",
    # 6. a plain class with predict defined in a cell, closing over a cell variable
    """
THRESHOLD = 0.25
class Rule:
    def predict(self, X):
        X = pd.DataFrame(X)
        return (X["a"] > THRESHOLD).astype(int).to_numpy()
record("cell_plain_class", Rule(), X)
""",
    # 7-8. XGBoost: scikit-learn wrapper and native Booster
    """
import xgboost as xgb
record("xgboost_classifier", xgb.XGBClassifier(n_estimators=8, max_depth=3).fit(X, y), X)
booster = xgb.train({"max_depth": 3}, xgb.DMatrix(X, label=X.a * 2), 8)
with mj.start_run(name="xgboost_booster"):
    info = mj.log_model(booster, "xgboost_booster", input_example=X[:5])
expected = booster.predict(xgb.DMatrix(X))
CASES["xgboost_booster"] = {"uri": info.model_uri, "X": X, "expected": expected, "native": None}
""",
    # 9-10. LightGBM: scikit-learn wrapper and native Booster
    """
import lightgbm as lgb
record("lightgbm_classifier", lgb.LGBMClassifier(n_estimators=8, verbose=-1).fit(X, y), X)
lbooster = lgb.train({"objective": "regression", "verbose": -1}, lgb.Dataset(X, label=X.b), 8)
with mj.start_run(name="lightgbm_booster"):
    info = mj.log_model(lbooster, "lightgbm_booster", input_example=X[:5])
expected = lbooster.predict(X)
CASES["lightgbm_booster"] = {"uri": info.model_uri, "X": X, "expected": expected, "native": None}
""",
    # 11. nullable pandas dtypes in the input example (Int64, Float64, boolean, string)
    """
from sklearn.ensemble import RandomForestRegressor
N = pd.DataFrame({
    "n": pd.array([1, None, 3, 4, 5, 6, None, 8], dtype="Int64"),
    "f": pd.array([0.5, 1.5, None, 2.0, 2.5, 3.0, 3.5, 4.0], dtype="Float64"),
    "flag": pd.array([True, False, None, True, True, False, True, False], dtype="boolean"),
    "kind": pd.array(["x", "y", "x", None, "y", "x", "y", "x"], dtype="string"),
})
def to_numbers(frame):
    frame = pd.DataFrame(frame)
    return np.column_stack([
        frame["n"].astype("Float64").fillna(-1).to_numpy(float),
        frame["f"].fillna(-1).to_numpy(float),
        frame["flag"].astype("Float64").fillna(-1).to_numpy(float),
        (frame["kind"] == "x").fillna(False).to_numpy(float),
    ])
forest = RandomForestRegressor(n_estimators=5, random_state=0)
nullable = make_pipeline(FunctionTransformer(to_numbers), forest).fit(N, np.arange(8.0))
record("nullable_dtypes", nullable, N)
""",
    # 12. a numpy-array model (tensor signature); 13. a plain scikit-learn pipeline
    """
from sklearn.svm import SVC
A = X.to_numpy()
record("numpy_forest", RandomForestRegressor(n_estimators=5, random_state=0).fit(A, X.a), A)
record("sklearn_pipeline", make_pipeline(StandardScaler(), SVC()).fit(X, y), X)
""",
    # 14-15. PyTorch: a module class defined in a cell, trained a few steps, on a DataFrame;
    # one whose forward calls a function of the cell and reads a cell variable, on an ndarray
    """
import torch
torch.manual_seed(0)

class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = torch.nn.Linear(3, 8)
        self.out = torch.nn.Linear(8, 1)
    def forward(self, x):
        return self.out(torch.relu(self.hidden(x)))

def record_torch(case, module, data, tensor):
    with mj.start_run(name=case):
        info = mj.log_model(module, case, input_example=data[:5])
    with torch.no_grad():
        native = module(tensor).numpy()
    expected = mj.load_model(info.model_uri).predict(data)
    CASES[case] = {"uri": info.model_uri, "X": data, "expected": expected, "native": native}

T = torch.tensor(X.to_numpy(), dtype=torch.float32)
net = Net()
step = torch.optim.SGD(net.parameters(), lr=0.05)
for _ in range(20):
    step.zero_grad()
    loss = ((net(T).squeeze(1) - T[:, 0]) ** 2).mean()
    loss.backward()
    step.step()
record_torch("torch_cell_module", net, X, T)
SCALE = 2.0
def squash(t):
    return torch.tanh(t) * SCALE
class Squashed(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(3, 2)
    def forward(self, x):
        return squash(self.lin(x))
record_torch("torch_cell_function", Squashed(), X.to_numpy(), T)
""",
    # 16-17. auto-logged by %%track: a fitted model the cell assigns (a pipeline, a torch module)
    """%%track --name autologged
from sklearn.linear_model import Ridge
ridge = make_pipeline(AddSquares(), Ridge()).fit(X, X.a)
spare = Ridge()  # not fitted: not a model yet, not logged
""",
    """%%track --name torch_autologged
tnet = Net()
""",
    """%%track --name unlogged --no-models
opted_out = Ridge().fit(X, X.a)
""",
    """
run = mj.runs(filter="name == 'autologged'").iloc[0]
uri = f"runs:/{run.run_id}/ridge"
expected = ridge.predict(X)
CASES["track_autolog"] = {"uri": uri, "X": X, "expected": expected, "native": expected}
logged = [a.name for a in mj.get_run(run.run_id).artifacts if a.name.endswith("/MLmodel")]
assert logged == ["models/ridge/MLmodel"], logged
trun = mj.runs(filter="name == 'torch_autologged'").iloc[0]
with torch.no_grad():
    texpected = tnet(T).numpy()
CASES["torch_track_autolog"] = {
    "uri": f"runs:/{trun.run_id}/tnet", "X": X, "expected": texpected, "native": texpected
}
quiet = mj.runs(filter="name == 'unlogged'").iloc[0]
assert not [a for a in mj.get_run(quiet.run_id).artifacts if a.name.startswith("models/")]
pickle.dump(CASES, open("cases.pkl", "wb"))
""",
]

CHECK = """
import json, pickle, sys
import numpy as np
import mlops_jupyter as mj
try:
    import helpers
    sys.exit("the local module is importable here: the test proves nothing")
except ImportError:
    pass
cases = pickle.load(open(sys.argv[1], "rb"))
out = {}
for case, c in cases.items():
    model = mj.load_model(c["uri"])
    got = np.asarray(model.predict(c["X"]))
    same = bool(np.array_equal(got, np.asarray(c["expected"])))
    if c["native"] is not None:
        same = same and bool(np.array_equal(got, np.asarray(c["native"])))
    out[case] = {"same": same, "flavor": model.flavor.name}
print(json.dumps(out))
"""


@pytest.mark.slow
def test_every_corpus_model_predicts_identically_in_a_fresh_process(
    run_cells, tmp_path: Path
) -> None:
    (tmp_path / "helpers.py").write_text(HELPERS)
    run_cells(["%load_ext mlops_jupyter", *CELLS])
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(CHECK), str(tmp_path / "cases.pkl")],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(results) >= 12
    assert {case: r["same"] for case, r in results.items()} == dict.fromkeys(results, True)
    flavors = {r["flavor"] for r in results.values()}
    assert flavors == {"sklearn", "xgboost", "lightgbm", "generic", "pytorch"}
    assert results["torch_cell_function"]["flavor"] == "pytorch"
    assert results["xgboost_classifier"]["flavor"] == "xgboost"
    assert results["local_plain_class"]["flavor"] == "generic"
