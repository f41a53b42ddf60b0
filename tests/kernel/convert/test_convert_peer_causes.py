"""The capture causes traced on other people's notebooks (issue 18), each converted for real: the
capture runs in a kernel and the generated tests run, against a temporary store."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest

from mlops_jupyter.convert import convert_notebook
from mlops_jupyter.store import RunStore
from tests.support.nbhelpers import make_notebook


def _convert(tmp_path, cells, **kwargs):
    nb = make_notebook(cells)
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    return convert_notebook(path, tmp_path / "pkg", **kwargs)  # verify: the tests must pass


def test_a_cell_starting_with_imports_runs_once(tmp_path):
    """Kale's titanic: the cell was run once per half of its split, so `del df['Cabin']` ran
    twice (KeyError: 'Cabin')."""
    result = _convert(
        tmp_path,
        [
            "rows = {'Cabin': 1, 'Age': 2}",
            "import math\ndel rows['Cabin']\nage = math.sqrt(rows['Age'] ** 2)",
            "print(age)",
        ],
    )
    assert result.steps


def test_definitions_at_module_level_run_before_the_cells_that_use_them(tmp_path):
    """jupytext's "Notebook with function and cell metadata" and nbdev's showdoc_test: a
    function or class defined in one cell and used in a later cell of the same step gave
    `NameError` during capture (the definition ran after the later cells)."""
    result = _convert(
        tmp_path,
        [
            "x = 3",
            "def f(value):\n    return value + 1",
            "class Box:\n    def __init__(self, v):\n        self.v = v",
            "y = f(x)\nbox = Box(y)\nprint(box.v)",
        ],
    )
    assert "def f(value)" in (result.path / "steps.py").read_text()


def test_a_computed_parameters_line_stays_in_the_body(tmp_path):
    """A parameters cell computing from an earlier value went into `defaults()`, which runs
    before any step, and failed with a misleading "unseeded randomness" message."""
    result = _convert(
        tmp_path,
        [
            "data = [4, 5, 6]",
            ("n = 2\nlast = data[-1] * n", ["parameters"]),
            "print(last)",
        ],
    )
    pipeline = (result.path / "pipeline.py").read_text()
    assert "PARAMETERS = ('n',)" in pipeline
    assert "last = data" not in pipeline.split("def defaults")[1].split("def run")[0]


def test_sys_exit_ends_the_notebook_as_under_papermill(tmp_path):
    """papermill's sysexit notebooks: `sys.exit()` (status 0) stops the notebook and the run
    succeeds; capture failed with SystemExit."""
    result = _convert(
        tmp_path,
        ["import sys\nvalue = 2", "doubled = value * 2\nsys.exit()", "print('never runs')"],
    )
    steps = (result.path / "steps.py").read_text()
    assert "never runs" not in steps and "sys.exit()" not in steps.replace("# sys.exit()", "")


def test_capture_and_tests_use_a_temporary_store_and_report_progress(tmp_path):
    """Issue 11 item 7: runs the notebook tracks while converting never reach the user's
    store, and progress is reported cell by cell."""
    user_store = Path(os.environ["MLOPS_JUPYTER_STORE"])
    seen: list[tuple[int, int, int]] = []
    _convert(
        tmp_path,
        [
            "import mlops_jupyter",
            "with mlops_jupyter.start_run(name='inside-convert'):\n"
            "    mlops_jupyter.log_metric('m', 1.0)\nscore = 1.0",
            "print(score)",
        ],
        progress=lambda k, n, index: seen.append((k, n, index)),
    )
    assert not user_store.exists() or RunStore(str(user_store)).search_runs() == []
    assert [(k, n) for k, n, _ in seen] == [(1, 3), (2, 3), (3, 3)]
    assert [index for _, _, index in seen] == [0, 1, 2]


@pytest.mark.parametrize("code", ["sys.exit(1)", "raise SystemExit(3)"])
def test_a_failing_exit_is_still_a_failure(tmp_path, code):
    from mlops_jupyter.errors import NotebookExecutionError

    with pytest.raises(NotebookExecutionError, match="cell 1"):
        _convert(tmp_path, ["import sys", code])
