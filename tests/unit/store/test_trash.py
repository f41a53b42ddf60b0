"""Deleting from the panel is soft: trashed runs leave every listing, come back on restore, and
`store gc` purges them; a version-3 store gains the column with its runs intact."""

from __future__ import annotations

import pytest

from mlops_jupyter.errors import RunNotFoundError
from mlops_jupyter.store import RunStore, schema
from tests.unit.store.test_migrations import _old_store


def _sweep(store: RunStore) -> tuple[str, list[str], str]:
    parent = store.create_run(name="sweep")
    points = [store.create_run(name=f"p{i}", parent_run_id=parent) for i in range(3)]
    grandchild = store.create_run(name="track", parent_run_id=points[0])
    other = store.create_run(name="other")
    store.log_artifact(points[1], "a.txt", b"point blob")
    for run_id in (parent, *points, grandchild, other):
        store.end_run(run_id, "finished")
    return parent, points, grandchild


def test_trash_hides_restore_brings_back_gc_purges(tmp_path) -> None:
    store = RunStore(str(tmp_path / "runs.db"))
    parent, points, grandchild = _sweep(store)
    assert store.child_counts([parent, points[0]]) == {parent: 3, points[0]: 1}
    trashed = store.trash_runs([parent], children=True)
    assert set(trashed) == {parent, *points, grandchild}
    assert {r.name for r in store.search_runs()} == {"other"}
    assert store.count_runs() == 1
    assert store.count_runs(trashed=True) == 5
    assert len(store.runs_frame()) == 1
    assert set(store.trashed_at(trashed)) == set(trashed)
    assert store.get_run(parent).name == "sweep"  # still readable from the trash view
    with pytest.raises(RunNotFoundError):
        store.trash_runs([parent])  # already in the trash
    # restoring the parent brings back what was trashed with it
    assert set(store.restore_runs([parent])) == {parent, *points, grandchild}
    assert store.count_runs() == 6
    store.trash_runs([points[1]])
    assert store.child_counts([parent]) == {parent: 2}
    result = store.gc(grace_seconds=0)
    assert result["trashed_runs"] == 1 and result["removed"] == 1
    with pytest.raises(RunNotFoundError):
        store.get_run(points[1])
    assert store.count_runs() == 5 and store.count_runs(trashed=True) == 0


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_a_version_3_store_migrates_and_then_trashes(backend, tmp_path, request) -> None:
    url = (
        str(tmp_path / "old.db") if backend == "sqlite" else request.getfixturevalue("postgres_url")
    )
    _old_store(url, 3)
    store = RunStore(url, migrate=True)
    assert store.schema_version() == schema.SCHEMA_VERSION
    assert store.get_run("a" * 32).name == "legacy" and store.count_runs() == 1
    store.trash_runs(["a" * 32])
    assert store.count_runs() == 0 and store.count_runs(trashed=True) == 1
    store.restore_runs(["a" * 32])
    assert [r.name for r in store.search_runs()] == ["legacy"]
    store.dispose()
