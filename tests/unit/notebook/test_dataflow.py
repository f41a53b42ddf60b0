"""Hidden-state verdicts by dataflow, no kernel: given what a kernel executed and what the saved
notebook holds, did the current cell (the last execution) read a value the notebook, run top to
bottom, would not give? And does the reason name the variable, the cell and the fix?

`ran(...)` builds a history from sources (a `(cell_id, source)` pair gives the front end's cell
id); `notebook(...)` builds the file's code cells, by position.
"""

from __future__ import annotations

import pytest

from mlops_jupyter.notebook.dataflow import Executed, NotebookCell, facts, judge

TRACK = "%%track\nresult = x * 2"


def ran(*items: str | tuple[str | None, str]) -> list[Executed]:
    out = []
    for count, item in enumerate(items, start=1):
        cell_id, source = item if isinstance(item, tuple) else (None, item)
        out.append(Executed(count, cell_id, source))
    return out


def notebook(*items: str | tuple) -> list[NotebookCell]:
    out = []
    for index, item in enumerate(items):
        if isinstance(item, str):
            item = (None, item)
        cell_id, source, tags = item if len(item) == 3 else (*item, ())
        out.append(NotebookCell(index, cell_id, source, tags))
    return out


CASES = [
    # id, history, notebook cells, flag, reason fragment
    ("no-notebook-file", ran("x = 1", TRACK), [], None, "the notebook file was not found"),
    ("top-to-bottom", ran("x = 1", "y = 2", TRACK), notebook("x = 1", "y = 2", TRACK), False, ""),
    (
        "re-running-the-tracked-cell",
        ran("x = 1", TRACK, TRACK),
        notebook("x = 1", TRACK),
        False,
        "",
    ),
    (
        "unrelated-out-of-order",
        ran("y = 2", "x = 1", TRACK),
        notebook("x = 1", "y = 2", TRACK),
        False,
        "",
    ),
    (
        "shadowed-by-a-cell-in-between",
        ran("x = 100", "x = 1", TRACK),
        notebook("x = 1", "x = 100", TRACK),
        True,
        "'x' was set by cell 1 ('x = 1'), but cell 2 ('x = 100') below it binds 'x' again",
    ),
    (
        "set-by-a-cell-below",
        ran("x = 1", "x = 5", TRACK),
        notebook("x = 1", TRACK, "x = 5"),
        True,
        "'x' was set by cell 3 ('x = 5'), which is below the cell that reads it",
    ),
    (
        "value-from-an-edited-cell",
        ran(("c1", "x = 1"), ("c2", TRACK)),
        notebook(("c1", "x = 2"), ("c2", TRACK)),
        True,
        "'x' was set by cell 1 ('x = 2'), which has been edited since it ran. Fix: re-run cell 1",
    ),
    (
        "value-from-a-deleted-cell",
        ran("secret = 5", "y = 1", "%%track\nr = secret"),
        notebook("y = 1", "%%track\nr = secret"),
        True,
        "'secret' was set by execution [1] ('secret = 5'), whose cell has since been deleted",
    ),
    ("deleted-cell-not-read", ran("secret = 5", TRACK), notebook(TRACK), False, ""),
    (
        "deleted-value-reassigned-by-a-visible-cell",
        ran("x = 1", "x = 5", TRACK),
        notebook("x = 5", TRACK),
        False,
        "",
    ),
    (
        "deleted-import",
        ran("import numpy as np", "%%track\nz = np.pi"),
        notebook("%%track\nz = np.pi"),
        True,
        "'np' was set by execution [1]",
    ),
    (
        "deleted-augmented-assignment",
        ran("x = 1", "x += 1", TRACK),
        notebook("x = 1", TRACK),
        True,
        "'x' was set by execution [2] ('x += 1')",
    ),
    (
        "trailing-white-space-is-not-an-edit",
        ran("x = 1\n\n", TRACK),
        notebook("x = 1", TRACK),
        False,
        "",
    ),
    (
        "papermill-injected-cell",
        ran("x = 0.1", "# Parameters\nx = 0.5\n", TRACK),
        notebook(("a", "x = 0.1", ("parameters",)), TRACK),
        False,
        "",
    ),
    (
        "derived-from-an-edited-cell",
        ran(("a", "x = 1"), ("b", "y = x + 1"), ("c", "z = y")),
        notebook(("a", "x = 3"), ("b", "y = x + 1"), ("c", "z = y")),
        True,
        "'y' derives from 'x', set by cell 1 ('x = 3'), which has been edited",
    ),
    (
        "own-input",
        ran("x = 0", "%%track\nx = x + 1", "%%track\nx = x + 1"),
        notebook("x = 0", "%%track\nx = x + 1"),
        True,
        "an earlier run of this cell ([2])",
    ),
    (
        "in-place-change-below",
        ran("x = []", "x.append(1)", TRACK),
        notebook("x = []", TRACK, "x.append(1)"),
        True,
        "'x' was set by cell 3",
    ),
    (
        "passing-to-a-call-is-not-a-change",
        ran("x = [1]", "print(len(x))", TRACK),
        notebook("x = [1]", TRACK, "print(len(x))"),
        False,
        "",
    ),
    (
        "function-global-from-a-cell-below-the-def",
        ran("def f():\n    return x", "x = 2", "%%track\nr = f()"),
        notebook("def f():\n    return x", "x = 2", "%%track\nr = f()"),
        False,
        "",
    ),
    (
        "re-import-in-between-is-the-same-module",
        ran("import math", "%%track\nr = math.pi"),
        notebook("import math", "import math as m\nimport math", "%%track\nr = math.pi"),
        False,
        "",
    ),
    (
        "unsaved-edit-is-what-the-editor-shows",
        [Executed(1, "a", "x = 2", 50.0), Executed(2, "b", TRACK, 51.0)],
        notebook(("a", "x = 1"), ("b", TRACK)),
        False,
        "",
    ),
]


@pytest.mark.parametrize(
    "history, cells, flag, reason", [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_verdict(history, cells, flag, reason) -> None:
    verdict = judge(history, cells, saved_at=10.0)
    assert verdict.flag is flag, verdict.reason
    assert reason in verdict.reason and (reason or verdict.reason == "")
    if flag:
        assert "Fix: " in verdict.reason


def test_the_verdict_names_the_variable_and_the_cell_to_fix() -> None:
    verdict = judge(ran("x = 100", "x = 1", TRACK), notebook("x = 1", "x = 100", TRACK))
    assert (verdict.variable, verdict.cell) == ("x", 2)
    assert verdict.reason.endswith("Fix: re-run cell 2, then this cell.")


def test_in_place_changes_are_the_narrow_kind() -> None:
    code = "a[0] = 1\nb.x = 2\nc.append(3)\nd.fit(X)\ne.dropna(inplace=True)\nf(g)\nh.head()"
    assert facts(code).modifies == {"a", "b", "c", "d", "e"}


def test_a_long_history_is_judged_quickly() -> None:
    import time

    cells = notebook(*(f"v{i} = {i}" for i in range(50)), "%%track\nr = v3 + v49")
    history = ran(*(f"v{i % 50} = {i % 50}" for i in range(200)), cells[-1].source)
    start = time.perf_counter()
    assert judge(history, cells).flag is False
    assert (
        time.perf_counter() - start < 0.5
    )  # linear: a quadratic walk of 200 x 50 takes seconds; the bound survives a loaded CI
