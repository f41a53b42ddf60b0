"""`runs diff`'s code kind compares the whole lineage of two %%track runs, as `%%track` records
it (``lineage_cell.lineage_docs``, the dataflow walk the hidden-state verdict checks): a change
in a cell the inputs came from through another cell is a code difference too, and two cells
that made the same name (one binding a model, one fitting it) are compared one to one."""

from __future__ import annotations

from mlops_jupyter.magics.lineage_cell import lineage_docs
from mlops_jupyter.notebook.dataflow import Executed
from mlops_jupyter.store import RunStore
from mlops_jupyter.tracking.diff import diff_runs

TRACKED = "%%track\nacc = model.score(rows)"


def _run(store: RunStore, seed_cell: str, fit_cell: str) -> str:
    sources = ["import math", seed_cell, "model = make(seed)", fit_cell, "rows = 10", TRACKED]
    history = [Executed(n, None, s) for n, s in enumerate(sources, start=1)]
    lineage, inputs = lineage_docs(history)
    cell = {"source": TRACKED.split("\n", 1)[1], "lineage": lineage}
    return store.create_run(experiment="e", provenance={"cell": cell, "input_cells": inputs})


def test_a_changed_transitive_input_cell_is_a_code_difference(store_url: str) -> None:
    store = RunStore(store_url)
    a = _run(store, "seed = 3", "model.fit(x)")
    b = _run(store, "seed = 4", "model.fit(x, epochs=2)")
    record = store.get_run(b)
    direct = {tuple(c["names"]) for c in record.provenance["input_cells"]}
    assert direct == {("model",), ("rows",)}  # the cells that made what the cell reads itself
    assert [c["source"] for c in record.provenance["cell"]["lineage"]] == [
        "seed = 4",
        "model = make(seed)",
        "model.fit(x, epochs=2)",
        "rows = 10",
    ]
    code = {d.key: d for d in diff_runs(store.get_run(a), record) if d.kind == "code"}
    assert set(code) == {"input cell seed", "input cell model (2)"}
    assert "-seed = 3" in code["input cell seed"].detail
    assert "+model.fit(x, epochs=2)" in code["input cell model (2)"].detail
