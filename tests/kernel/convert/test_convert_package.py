"""A converted package: typed step functions, a pipeline that matches the script, tests that
bite."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from mlops_jupyter.convert import convert_notebook, export_script
from tests.support.corpus import CORPUS_DIR, env_with_path


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    root = tmp_path_factory.mktemp("pkg")
    return convert_notebook(CORPUS_DIR / "multi_io.ipynb", root / "ridge_pipeline")


def _pytest(package_dir):
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            str(package_dir / "tests"),
        ],
        capture_output=True,
        text=True,
        env=env_with_path(package_dir.parent),
        cwd=package_dir.parent,
        timeout=300,
    )


def test_steps_are_typed_functions_with_explicit_returns(package):
    steps = (package.path / "steps.py").read_text()
    assert (
        "def make_data(seed: int, n_samples: int, features: list) "
        "-> tuple[numpy.ndarray, numpy.ndarray]:" in steps
    )
    assert "    model: sklearn.linear_model.Ridge," in steps
    assert "    return scores, mse" in steps
    assert "import sklearn.linear_model" in steps  # under TYPE_CHECKING, for the annotations
    readme = (package.path / "README.md").read_text()
    assert "| `evaluate` | 6 | model, X_test, y_test | scores, mse |" in readme
    manifest = json.loads((package.path / "tests/data/make_data/outputs/manifest.json").read_text())
    assert [e["format"] for e in manifest.values()] == ["pickle", "pickle"]
    assert package.files == [
        "README.md",
        "__init__.py",
        "__main__.py",
        "outputs.py",
        "pipeline.py",
        "runner.py",
        "runtime.py",
        "runtime_dask.py",
        "steps.py",
        "tests/__init__.py",
        "tests/_support.py",
        "tests/test_cells.py",
        "tests/test_pipeline.py",
        "tests/test_schemas.py",
        "tests/test_steps.py",
    ]


def test_pipeline_cli_prints_what_the_script_prints(package, tmp_path):
    script = tmp_path / "script.py"
    export_script(CORPUS_DIR / "multi_io.ipynb", script)
    args = ["--n-samples", "40", "--alpha", "2.5", "--features", '["x1", "x2"]']
    by_script = subprocess.run(
        [sys.executable, str(script), *args],
        capture_output=True,
        text=True,
        env=env_with_path(),
        timeout=120,
    )
    by_package = subprocess.run(
        [sys.executable, "-m", package.package, *args],
        capture_output=True,
        text=True,
        env=env_with_path(package.path.parent),
        timeout=120,
    )
    assert by_script.returncode == by_package.returncode == 0, by_package.stderr
    assert by_package.stdout == by_script.stdout and "(40, 2) (40,)" in by_package.stdout


def test_generated_tests_fail_when_a_step_stops_reproducing_the_notebook(package, tmp_path):
    import shutil

    broken = tmp_path / package.package
    shutil.copytree(package.path, broken)
    steps = broken / "steps.py"
    steps.write_text(steps.read_text().replace("scores += [", "scores += [0.5 + "))
    done = _pytest(broken)
    assert done.returncode == 1
    assert "test_evaluate" in done.stdout and "evaluate: scores" in done.stdout


def test_dataframes_are_stored_as_parquet_and_compared_with_tolerance(tmp_path):
    result = convert_notebook(
        CORPUS_DIR / "inplace_mutation.ipynb", tmp_path / "mut", verify=False
    )  # its generated tests run in test_convert_corpus
    manifest = json.loads((result.path / "tests/data/clean/outputs/manifest.json").read_text())
    assert manifest["df"]["format"] == "parquet" and manifest["df"]["type"] == "pandas.DataFrame"
    steps = (result.path / "steps.py").read_text()
    assert "def clean(df: pandas.DataFrame, threshold: float) -> pandas.DataFrame:" in steps
