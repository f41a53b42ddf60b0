"""The hidden-state rules, no kernel: given what a kernel executed and what the notebook file
holds, is the tracked cell's state hidden, and what does the reason tell the user?

The current cell is always the last execution. `ran(...)` builds a history from sources (a
`(cell_id, source)` pair gives the front end's cell id); `notebook(...)` builds the file's code
cells, by position.
"""

from __future__ import annotations

import pytest

from mlops_jupyter.magics.history import (
    Executed,
    NotebookCell,
    hidden_state,
    match_cells,
    parameter_names,
)

TRACK = "%%track\nresult = x * 2"


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


CASES = [
    # id, history, notebook cells, names the current cell reads, flag, reason (a fragment)
    (
        "no-notebook-file",
        ran("x = 1", TRACK),
        [],
        ["x"],
        None,
        "the notebook file was not found, so the order could not be checked",
    ),
    (
        "top-to-bottom",
        ran("x = 1", "y = 2", TRACK),
        notebook("x = 1", "y = 2", TRACK),
        ["x"],
        False,
        "",
    ),
    (
        "re-running-the-tracked-cell",
        ran("x = 1", TRACK, TRACK),
        notebook("x = 1", TRACK),
        ["x"],
        False,
        "",
    ),
    (
        "out-of-order",
        ran("x = 1", "x = 100", "x = 1", TRACK),
        notebook("x = 1", "x = 100", TRACK),
        ["x"],
        True,
        (
            "cells ran out of order: execution [3] ran the cell at position 1 after a cell "
            "further down"
        ),
    ),
    (
        "current-cell-above-the-last-one",
        ran("a = 1", "b = 2", TRACK),
        notebook(TRACK, "a = 1", "b = 2"),
        [],
        True,
        "this cell (position 1) ran after cells further down the notebook",
    ),
    (
        "value-from-an-edited-cell",
        ran("x = 1", TRACK),
        notebook("x = 2  # edited", TRACK),
        ["x"],
        True,
        (
            "'x' was last assigned by execution [1], whose code has since been edited or "
            "deleted from the notebook"
        ),
    ),
    (
        "value-from-a-deleted-cell",
        ran("secret = 5", "y = 1", TRACK),
        notebook("y = 1", TRACK),
        ["secret"],
        True,
        "'secret' was last assigned by execution [1]",
    ),
    (
        "deleted-cell-the-tracked-cell-does-not-read",
        ran("secret = 5", TRACK),
        notebook(TRACK),
        ["x"],
        False,
        "",
    ),
    (
        "deleted-value-reassigned-by-a-visible-cell",
        ran("x = 1", "x = 5", TRACK),
        notebook("x = 5", TRACK),
        ["x"],
        False,
        "",
    ),
    (
        "deleted-import",
        ran("import numpy as np", TRACK),
        notebook(TRACK),
        ["np"],
        True,
        "'np' was last assigned by execution [1]",
    ),
    (
        "deleted-loop-variable",
        ran("for i in range(3):\n    pass", TRACK),
        notebook(TRACK),
        ["i"],
        True,
        "'i' was last assigned by execution [1]",
    ),
    (
        "deleted-augmented-assignment",
        ran("x = 1", "x += 1", TRACK),
        notebook("x = 1", TRACK),
        ["x"],
        True,
        "'x' was last assigned by execution [2]",
    ),
    (
        "trailing-white-space-is-not-an-edit",
        ran("x = 1\n\n", TRACK),
        notebook("x = 1", TRACK),
        ["x"],
        False,
        "",
    ),
    (
        "papermill-injected-cell-is-not-hidden",
        ran("lr = 0.1", "# Parameters\nlr = 0.5\n", TRACK),
        notebook(("a", "lr = 0.1", ("parameters",)), TRACK),
        ["lr"],
        False,
        "",
    ),
    (
        "edited-cell-with-the-same-id",
        ran(("c1", "x = 1"), ("c2", TRACK)),
        notebook(("c1", "x = 2"), ("c2", TRACK)),
        ["x"],
        True,
        "'x' was last assigned by execution [1]",
    ),
    (
        "cell-ids-tell-identical-sources-apart",
        ran(("c3", "x = 1"), ("c2", "y = 2"), ("c4", TRACK)),
        notebook(("c1", "x = 1"), ("c2", "y = 2"), ("c3", "x = 1"), ("c4", TRACK)),
        ["x"],
        True,
        "cells ran out of order: execution [2] ran the cell at position 2",
    ),
    (
        "identical-sources-match-the-next-cell-down",
        ran("x = 1", "y = 2", "x = 1", TRACK),
        notebook("x = 1", "y = 2", "x = 1", TRACK),
        ["x"],
        False,
        "",
    ),
]


@pytest.mark.parametrize(
    "history, cells, reads, flag, reason",
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_hidden_state(history, cells, reads, flag, reason) -> None:
    got_flag, got_reason = hidden_state(history, cells, reads)
    assert got_flag is flag
    assert reason in got_reason and (reason or got_reason == "")


def test_each_execution_is_matched_to_the_cell_that_shows_its_code() -> None:
    cells = notebook("x = 1", ("id-b", "y = 2"), "z = 3")
    history = ran("x = 1", ("id-b", "y = 2"), "gone = 0", ("id-b", "y = 3"), "z = 3")
    assert [c.index if c else None for c in match_cells(history, cells)] == [0, 1, None, None, 2]


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
