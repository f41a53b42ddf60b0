"""A failing `run` names the cell index, the exception and its message (issue 18 item 7), also
when the cell fails without an error output (papermill's `line_magic_error` notebook)."""

from __future__ import annotations

import nbformat
import pytest

from mlops_jupyter.errors import NotebookExecutionError
from mlops_jupyter.execution import run_notebook
from tests.support.nbhelpers import make_notebook


def test_an_undefined_line_magic_names_its_cell_and_cause(tmp_path):
    path = tmp_path / "line_magic_error.ipynb"
    nbformat.write(
        make_notebook(["x = 1", "%undefined-line-magic", 'print("Cell should not execute.")']),
        path,
    )
    with pytest.raises(NotebookExecutionError) as caught:
        run_notebook(path)
    err = caught.value
    assert err.cell_index == 1
    assert err.ename == "UsageError"
    assert "undefined-line-magic" in err.evalue and "not found" in err.evalue
    assert "cell -1" not in str(err) and "cell 1" in str(err)


def test_eval_false_cells_are_not_run(tmp_path):
    """nbdev's `#| eval: false` cells were executed by `run`."""
    from tests.support.nbhelpers import stdout_of

    path = tmp_path / "nbdev.ipynb"
    nbformat.write(
        make_notebook(["print('one')", "#| eval: false\nprint('do not print me!')", "print(2)"]),
        path,
    )
    out = tmp_path / "out.ipynb"
    run_notebook(path, output_path=out)
    assert stdout_of(out) == "one\n2\n"
