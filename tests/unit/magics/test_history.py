"""The kernel history side, no kernel: where each execution stands in the saved notebook, and
the names of the parameters cell as run (the verdicts are in tests/unit/notebook/test_dataflow.py).
 `ran(...)` builds a history from sources (a
`(cell_id, source)` pair gives the front end's cell id); `notebook(...)` builds the file's code
cells, by position.
"""

from __future__ import annotations

import pytest

from mlops_jupyter.magics.history import Executed, NotebookCell, parameter_names
from mlops_jupyter.notebook.dataflow import place


def ran(*items: str | tuple[str | None, str]) -> list[Executed]:
    out = []
    for count, item in enumerate(items, start=1):
        cell_id, source = item if isinstance(item, tuple) else (None, item)
        out.append(Executed(count, cell_id, source))
    return out


def notebook(
    *items: str | tuple[str | None, str] | tuple[str | None, str, tuple[str, ...]],
) -> list[NotebookCell]:
    out = []
    for index, item in enumerate(items):
        if isinstance(item, str):
            item = (None, item)
        cell_id, source, tags = item if len(item) == 3 else (*item, ())
        out.append(NotebookCell(index, cell_id, source, tags))
    return out


def test_each_execution_is_placed_at_the_cell_that_shows_its_code() -> None:
    cells = notebook("x = 1", ("id-b", "y = 2"), "z = 3")
    history = ran("x = 1", ("id-b", "y = 2"), "gone = 0", ("id-b", "y = 3"), "z = 3")
    placed = place(history, cells)
    assert [p.cell.index if p.cell else None for p in placed] == [0, 1, None, 1, 2]
    assert [p.state for p in placed] == ["current", "current", "gone", "edited", "current"]


def test_an_execution_after_the_last_save_is_unsaved_not_edited() -> None:
    cells = notebook(("c1", "x = 1"))
    history = [Executed(1, "c1", "x = 2", started=200.0), Executed(2, None, "y = 0", 200.0)]
    assert [p.state for p in place(history, cells, saved_at=100.0)] == ["unsaved", "unsaved"]
    assert [p.state for p in place(history, cells, saved_at=300.0)] == ["edited", "gone"]


@pytest.mark.parametrize(
    "history, cells, names",
    [
        (
            ran("lr = 0.1\nepochs = 3", "acc = 1"),
            notebook((None, "lr = 0.1\nepochs = 3", ("parameters",)), "acc = 1"),
            ["lr", "epochs"],
        ),
        (
            ran("lr = 0.1", "# Parameters\nlr = 0.5\nseed = 1\n"),
            notebook((None, "lr = 0.1", ("parameters",))),
            ["lr", "seed"],
        ),
        (ran("# Parameters\nlr = 0.5\n"), [], ["lr"]),  # no notebook file: the header
        (ran("lr = 0.5"), notebook((None, "lr = 0.5", ("injected-parameters",))), ["lr"]),
        (ran("lr = 0.1", "acc = 1"), notebook("lr = 0.1", "acc = 1"), []),  # no parameters cell
        (ran("lr = 0.1"), notebook((None, "lr = 0.2", ("parameters",))), []),  # edited since
    ],
)
def test_parameter_names(history, cells, names) -> None:
    """Names the parameters cell (or papermill's injected cell) assigned, as executed."""
    assert parameter_names(history, cells) == names
