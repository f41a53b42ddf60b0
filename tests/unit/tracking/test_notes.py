"""A run's note and user tags (tracking/notes.py): the `mlops.note` tag, and `mlops.*` tags
read-only to user edits; on a real SQLite store."""

from __future__ import annotations

import pytest

from mlops_jupyter.errors import InvalidArgumentError, SystemTagError
from mlops_jupyter.store import RunStore
from mlops_jupyter.tracking.notes import NOTE_TAG, edit_user_tags, is_system_tag, set_note


def _run(store: RunStore) -> str:
    run_id = store.create_run(name="r")
    store.set_tags(run_id, {"stage": "dev", "mlops.kind": "cell"})
    return run_id


def test_notes_and_user_tags_keep_system_tags_read_only(tmp_path) -> None:
    store = RunStore(str(tmp_path / "runs.db"), blob_root=str(tmp_path / "b"))
    run_id = _run(store)
    set_note(store, run_id, "lr=0.1 diverged after epoch 3")
    assert store.get_run(run_id).tags[NOTE_TAG] == "lr=0.1 diverged after epoch 3"
    set_note(store, run_id, "")
    assert NOTE_TAG not in store.get_run(run_id).tags
    for tags, remove in (({"mlops.kind": "x"}, []), ({}, ["mlops.kind"])):
        with pytest.raises(SystemTagError, match="read-only"):
            edit_user_tags(store, run_id, tags, remove)
    assert store.get_run(run_id).tags["mlops.kind"] == "cell"
    with pytest.raises(InvalidArgumentError, match="limit is 8000"):
        set_note(store, run_id, "x" * 8001)
    with pytest.raises(InvalidArgumentError, match="non-empty"):
        edit_user_tags(store, run_id, {" ": "x"})
    assert is_system_tag("mlops.sweep.point") and not is_system_tag("mlopsy")
    store.dispose()
