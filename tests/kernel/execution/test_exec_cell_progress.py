"""`run_notebook(on_cell=...)`: a per-cell progress callback, called as each of the user's code
cells starts, on a real papermill execution and a real kernel."""

from __future__ import annotations

import nbformat

from mlops_jupyter.execution import run_notebook
from tests.support.nbhelpers import make_notebook, stdout_of


def test_on_cell_counts_the_code_cells_that_run_and_a_failing_callback_breaks_nothing(tmp_path):
    """Counted: the non-empty code cells; not counted: markdown, empty and `skip-execution`
    cells, and the parameters cell papermill injects. A callback that raises is ignored."""
    nb = make_notebook(
        [
            ("steps = 1", ["parameters"]),
            "",
            ("print('never')", ["skip-execution"]),
            "doubled = steps * 2",
            "print(doubled)",
        ]
    )
    nb.cells.insert(1, nbformat.v4.new_markdown_cell("# notes"))
    path = tmp_path / "cells.ipynb"
    nbformat.write(nb, str(path))
    calls: list[tuple[int, int]] = []

    def on_cell(k: int, n: int) -> None:
        calls.append((k, n))
        if k == 2:
            raise RuntimeError("a broken progress display")

    out = tmp_path / "out.ipynb"
    record = run_notebook(path, {"steps": 21}, output_path=out, on_cell=on_cell)
    assert calls == [(1, 3), (2, 3), (3, 3)]
    assert record.status == "finished"
    assert stdout_of(out).strip() == "42"
