"""A tracked cell after a long session (145 executions, more than two of the store's history
blocks): its run reads back the whole execution history, the right verdict, and the cells its
inputs came from, directly and through other cells; so does the cell run again later."""

from __future__ import annotations

from mlops_jupyter.store import RunStore

CELLS = [
    "%load_ext mlops_jupyter",
    "base = 2",
    "scale = base * 3",
    "noise = 0",
    "%%track --name tracked\nacc = scale / 10",
]


def test_a_long_history_is_recorded_whole_with_its_lineage(run_cells, store: RunStore) -> None:
    order = [0, 1, 2, *[3] * 140, 4, 3, 3, 3, 4]  # 145 executions, then the cell again
    run_cells(CELLS, order)
    first, second = (store.get_run(r.run_id) for r in store.search_runs(order_by="start_time"))
    for run, count in ((first, 144), (second, 148)):
        cell = run.provenance["cell"]
        assert [h["execution_count"] for h in cell["history"]] == list(range(1, count + 1))
        assert cell["hidden_state"] is False and run.metrics["acc"] == 0.6
        assert [c["source"] for c in cell["lineage"]] == ["base = 2", "scale = base * 3"]
        assert [c["names"] for c in run.provenance["input_cells"]] == [["scale"]]
