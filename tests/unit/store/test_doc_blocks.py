"""A run's execution history is stored in shared blocks: a long session writes only its newest
entries per run, and every run still reads back its whole history."""

from __future__ import annotations

import sqlite3

from mlops_jupyter.store import RunStore
from mlops_jupyter.store.doc_blocks import BLOCK, join_lists, split_list


def _history(n: int) -> list[dict[str, object]]:
    return [{"execution_count": i, "cell_id": None, "source_sha256": f"{i:064x}"} for i in range(n)]


def _cell(n: int) -> dict[str, object]:
    return {"source": "acc = 1", "history": _history(n), "hidden_state": False}


def test_split_and_join_give_back_the_document() -> None:
    for n in (0, 1, BLOCK - 1, BLOCK, BLOCK + 1, 5 * BLOCK + 3):
        docs = split_list({"cell": _cell(n), "git": {"commit": "abc"}}, "cell", "history")
        assert len(docs["cell"]["history"]) == n % BLOCK or n < BLOCK
        assert join_lists(docs) == {"cell": _cell(n), "git": {"commit": "abc"}}


def test_a_long_session_stores_each_full_block_once(store_url: str) -> None:
    store = RunStore(store_url)
    ids = []
    for n in range(400, 410):  # ten tracked cells after 400 executions
        docs = split_list({"cell": _cell(n)}, "cell", "history")
        ids.append(store.create_run(experiment="e", name=f"r{n}", provenance=docs))
    for n, run_id in zip(range(400, 410), ids, strict=True):
        assert store.get_run(run_id).provenance["cell"]["history"] == _history(n)
    with sqlite3.connect(store_url) as conn:
        (size,) = conn.execute("SELECT sum(length(content)) FROM provenance_blobs").fetchone()
    whole = sum(len(str(_cell(n))) for n in range(400, 410))
    assert size < whole / 4  # stored whole, each run would write its full history again
