"""Editing a run's tags after the fact (the run page, `runs note`, tracking/notes.py): set and
delete in one transaction, on a real SQLite file and a real PostgreSQL server alike."""

from __future__ import annotations

import pytest

from mlops_jupyter.errors import ValueLimitError
from mlops_jupyter.store import RunStore


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path) -> RunStore:
    url = str(tmp_path / "s" / "runs.db") if request.param == "sqlite" else None
    opened = RunStore(url or request.getfixturevalue("postgres_url"), blob_root=str(tmp_path / "b"))
    yield opened
    opened.dispose()


def _run(store: RunStore) -> str:
    run_id = store.create_run(name="r")
    store.set_tags(run_id, {"stage": "dev", "owner": "ana", "mlops.kind": "cell"})
    return run_id


def test_set_and_remove_in_one_edit_and_the_filter_sees_it(store: RunStore) -> None:
    run_id = _run(store)
    store.edit_tags(run_id[:8], {"phase": "dev"}, ["stage", "never-there"])
    assert store.get_run(run_id).tags == {"phase": "dev", "owner": "ana", "mlops.kind": "cell"}
    assert [r.run_id for r in store.search_runs(filter="tags.phase = 'dev'")] == [run_id]
    assert store.search_runs(filter="tags.stage = 'dev'") == []
    store.edit_tags(run_id, {}, ["phase", "owner", "mlops.kind"])
    assert store.get_run(run_id).tags == {}


def test_a_refused_value_writes_nothing(store: RunStore) -> None:
    run_id = _run(store)
    with pytest.raises(ValueLimitError):
        store.edit_tags(run_id, {"ok": "1", "big": "x" * 9000}, ["stage"])
    assert store.get_run(run_id).tags == {"stage": "dev", "owner": "ana", "mlops.kind": "cell"}
