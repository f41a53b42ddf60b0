"""What `log_model` records (flavour, pinned requirements, the cell, code_paths) and what loading
refuses: objects no flavour logs, and a model whose flavour package is not installed."""

from __future__ import annotations

import dataclasses
import sys
from importlib.metadata import version
from pathlib import Path

import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression

import mlops_jupyter as mj
from mlops_jupyter.errors import ModelFlavorError, ModelLoadError
from mlops_jupyter.models.flavors import BY_NAME
from mlops_jupyter.models.loading import check_requirements

X = pd.DataFrame({"a": [0.0, 1.0, 2.0]})


def test_requirements_are_pinned_and_the_run_recorded(tmp_path) -> None:
    store = str(tmp_path / "r.db")
    with mj.start_run("fit", store=store) as run:
        info = mj.log_model(LinearRegression().fit(X, [0, 1, 2]), "lr", input_example=X)
    assert info.flavor == "sklearn" and info.model_uri == f"runs:/{run.run_id}/lr"
    assert f"scikit-learn=={version('scikit-learn')}" in info.requirements
    assert f"numpy=={version('numpy')}" in info.requirements
    assert not [r for r in info.requirements if r.startswith(("mlops", "ipykernel"))]
    model = mj.load_model(info.model_uri, store=store)
    assert model.metadata["run_id"] == run.run_id and model.metadata["python"]
    assert model.input_example["dataframe_split"]["columns"] == ["a"]


def test_code_paths_travel_with_the_model_and_go_on_sys_path(tmp_path) -> None:
    store = str(tmp_path / "r.db")
    lib = tmp_path / "featlib"
    lib.mkdir()
    (lib / "__init__.py").write_text("SCALE = 3\n")
    with mj.start_run(store=store):
        info = mj.log_model(LinearRegression().fit(X, [0, 1, 2]), "m", code_paths=[lib])
    mj.load_model(info.model_uri, store=store)
    mounted = [p for p in sys.path if "mlops-jupyter-model-code" in p]
    assert mounted and Path(mounted[0], "featlib", "__init__.py").is_file()
    with pytest.raises(ModelFlavorError, match=r"code_paths: .*nowhere' does not exist"):
        mj.log_model(
            LinearRegression(),
            "x",
            code_paths=[tmp_path / "nowhere"],
            run=mj.start_run(store=store),
        )


def test_objects_without_predict_and_missing_flavour_packages_are_refused(tmp_path) -> None:
    with pytest.raises(ModelFlavorError, match="cannot log a dict as a model: it has no predict"):
        mj.log_model({"w": 1}, "d", run=mj.start_run(store=str(tmp_path / "r.db")))
    flavor = dataclasses.replace(BY_NAME["xgboost"], packages=("no-such-xgboost",))
    doc = {"requirements": ["no-such-xgboost==9.9"]}
    with pytest.raises(ModelLoadError, match=r"pip install 'no-such-xgboost==9\.9'"):
        check_requirements("models:/m/1", doc, flavor)
    with pytest.warns(RuntimeWarning, match=r"pandas==0.0.1 \(installed: "):
        check_requirements("models:/m/1", {"requirements": ["pandas==0.0.1"]}, BY_NAME["sklearn"])
