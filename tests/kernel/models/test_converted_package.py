"""A converted package whose step fits a model: `--track` logs it, `--register NAME` registers
it, and the registered model loads in a fresh process and predicts what the step's model does."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import mlops_jupyter as mj
from mlops_jupyter.convert import convert_notebook
from tests.support import ROOT
from tests.support.corpus import CORPUS_DIR, env_with_path


@pytest.mark.slow
def test_pipeline_register_logs_and_registers_the_steps_model(tmp_path) -> None:
    package = convert_notebook(
        CORPUS_DIR / "multi_io.ipynb", tmp_path / "ridge_pipeline", verify=False
    )
    env = env_with_path(tmp_path, ROOT)  # this checkout, not the installed mlops-jupyter
    cmd = [sys.executable, "-m", package.package, "--n-samples", "40"]
    plain = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert plain.returncode == 0, plain.stderr
    assert "logged model" not in plain.stdout and mj.models().empty  # no tracking asked
    for expected_version in (1,):
        done = subprocess.run(
            [*cmd, "--register", "ridge"],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert "logged model model (sklearn): runs:/" in done.stdout
        assert f"registered ridge version {expected_version}: models:/ridge/" in done.stdout
    version = mj.get_model_version("ridge", 1)
    run = mj.get_run(version.run_id)
    assert run.status == "finished" and run.params["n_samples"] == 40
    sys.path.insert(0, str(tmp_path))
    try:
        from ridge_pipeline import pipeline

        ns = pipeline.run(n_samples=40)
    finally:
        sys.path.remove(str(tmp_path))
    expected = ns["model"].predict(ns["X_test"])
    got = mj.load_model("models:/ridge/1").predict(ns["X_test"])
    assert np.array_equal(np.asarray(got), expected)
    nothing = subprocess.run(
        [sys.executable, "-m", package.package, "--register", "x", "--features", '["x1"]'],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert nothing.returncode != 0
