"""The converted package's generated tests check each step's input schema (column names and
dtypes as the notebook run had them): a change in the data the notebook reads fails there."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from mlops_jupyter.convert import convert_notebook
from tests.support.corpus import env_with_path
from tests.support.nbhelpers import make_notebook


def _pytest(package: Path, *names: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            *(str(package / "tests" / n) for n in names or ("",)),
        ],
        capture_output=True,
        text=True,
        env=env_with_path(package.parent),
        cwd=package.parent,
        timeout=300,
        check=False,
    )


@pytest.mark.slow
def test_a_new_or_retyped_input_column_fails_the_schema_test(tmp_path: Path) -> None:
    (tmp_path / "data.csv").write_text("x,city\n1,oslo\n2,rome\n")
    nb = make_notebook(
        [
            ("import pandas as pd\nframe = pd.read_csv('data.csv')", ["step:load"]),
            ("values = frame['x'].to_numpy()\ntotal = float(values.sum())", ["step:summarise"]),
            ("double = values * 2", ["step:scale"]),
        ]
    )
    notebook = tmp_path / "nb.ipynb"
    nbformat.write(nb, str(notebook))
    result = convert_notebook(notebook, tmp_path / "datapkg")
    schemas = (result.path / "tests" / "test_schemas.py").read_text()
    assert "def test_input_schema_summarise" in schemas and "def test_input_schema_scale" in schemas
    assert "['x', 'int64']" in schemas and "'shape': []" in schemas  # frame columns, 1-d array
    passed = _pytest(result.path, "test_schemas.py")
    assert passed.returncode == 0, passed.stdout

    (tmp_path / "data.csv").write_text("x,city,extra\n1.5,oslo,1\n2.5,rome,2\n")
    failed = _pytest(result.path, "test_schemas.py")
    assert failed.returncode == 1
    assert (
        "step summarise: input 'frame' changed schema since the notebook run: "
        "new column 'extra'; column 'x' is float64, was int64" in failed.stdout
    )
    assert "step scale: input 'values' changed schema" in failed.stdout  # float64, was int64
