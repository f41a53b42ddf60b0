"""`%runs` shows hidden state, no kernel: a column in the runs table, and the reason and the
recorded execution history in `%runs show` (a real SQLite store)."""

from __future__ import annotations

from mlops_jupyter import tracking
from mlops_jupyter.magics import widgets
from mlops_jupyter.magics.tracked_cell import HIDDEN_STATE_TAG
from mlops_jupyter.tracking.fluent import runs

REASON = "'x' was set by cell 3 ('x = 5'), which is below the cell that reads it. Fix: ..."


def _runs() -> str:
    clean = tracking.start_run("clean")
    clean.end("finished")
    cell = {
        "hidden_state": True,
        "hidden_state_reason": REASON,
        "history": [
            {"execution_count": 1, "cell_id": "c-load", "source_sha256": "a"},
            {"execution_count": 2, "cell_id": "c-train", "source_sha256": "b"},
        ],
    }
    flagged = tracking.start_run(
        "flagged", tags={HIDDEN_STATE_TAG: REASON}, extra_provenance={"cell": cell}
    )
    flagged.end("finished")
    return flagged.run_id


def test_the_runs_table_has_a_hidden_state_column() -> None:
    _runs()
    headers, rows = widgets.frame_rows(runs())
    column = headers.index("hidden state")
    assert {r[headers.index("name")]: r[column] for r in rows} == {"flagged": "yes", "clean": ""}


def test_runs_show_gives_the_reason_and_the_execution_history(capsys) -> None:
    widgets.show_run(_runs())
    shown = capsys.readouterr().out
    assert f"hidden state: {REASON}" in shown
    assert "execution history (2 executions, this cell last)" in shown
    assert "c-train" in shown and "[2]" in shown
