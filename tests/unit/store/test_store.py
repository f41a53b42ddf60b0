"""RunStore behaviour, run against a real SQLite file and a real PostgreSQL server alike."""

from __future__ import annotations

import math
import time

import pytest

from mlops_jupyter.errors import ArtifactCorruptError, ArtifactNotFoundError, RunNotFoundError
from mlops_jupyter.store import RunStore


def _metrics(run_id: str, key: str, values: list[float], start: int = 0):
    now = time.time()
    return [(run_id, key, start + i, v, now) for i, v in enumerate(values)]


def test_a_new_run_is_running_and_owned_by_this_process(store: RunStore) -> None:
    run_id = store.create_run(name="first", experiment="exp")
    record = store.get_run(run_id)
    assert (record.name, record.experiment, record.status) == ("first", "exp", "running")
    assert record.pid is not None and record.end_time is None
    time.sleep(0.01)
    store.end_run(run_id, "finished")
    ended = store.get_run(run_id)
    assert ended.status == "finished" and ended.end_time > ended.start_time
    assert ended.duration == pytest.approx(ended.end_time - ended.start_time)


def test_params_keep_their_types(store: RunStore) -> None:
    values = {
        "lr": 0.1,
        "depth": 7,
        "model": "rf",
        "flag": False,
        "none": None,
        "layers": [64, 32],
        "cfg": {"a": 1},
        "big": 10**15,
    }
    run_id = store.create_run(params=values)
    assert store.get_run(run_id).params == values
    store.log_params(run_id, {"depth": 9})
    assert store.get_run(run_id).params["depth"] == 9


def test_metric_history_and_latest_value_by_step(store: RunStore) -> None:
    run_id = store.create_run()
    store.log_metrics(_metrics(run_id, "loss", [0.9, 0.5, 0.3]))
    store.log_metrics([(run_id, "loss", 1, 0.45, time.time())])  # rewrite step 1
    store.log_metrics([(run_id, "loss", 0, 0.99, time.time())])  # an old step must not win
    history = store.metric_history(run_id, "loss")
    assert [(p.step, p.value) for p in history] == [(0, 0.99), (1, 0.45), (2, 0.3)]
    assert store.get_run(run_id).metrics == {"loss": 0.3}
    assert store.metric_keys(run_id) == ["loss"]


def test_non_finite_metrics_round_trip(store: RunStore) -> None:
    run_id = store.create_run()
    store.log_metrics([(run_id, "a", 0, float("nan"), 1.0), (run_id, "b", 0, float("inf"), 1.0)])
    metrics = store.get_run(run_id).metrics
    assert math.isnan(metrics["a"]) and metrics["b"] == float("inf")


def test_tags_and_prefix_ids(store: RunStore) -> None:
    run_id = store.create_run(tags={"stage": "dev"})
    store.set_tags(run_id[:8], {"stage": "prod", "owner": "ana"})
    assert store.get_run(run_id[:6]).tags == {"stage": "prod", "owner": "ana"}
    with pytest.raises(RunNotFoundError, match="no run with id 'nope'"):
        store.get_run("nope")


def test_ambiguous_prefix_is_refused(store: RunStore, monkeypatch: pytest.MonkeyPatch) -> None:
    import uuid

    fixed = iter([uuid.UUID("abcd" + "0" * 28), uuid.UUID("abcd" + "1" * 28)])
    monkeypatch.setattr("mlops_jupyter.store.run_lifecycle.uuid.uuid4", lambda: next(fixed))
    store.create_run()
    store.create_run()
    with pytest.raises(RunNotFoundError, match=r"ambiguous .2 runs start with it"):
        store.get_run("abcd")
    assert store.get_run("abcd1").run_id == "abcd" + "1" * 28
    with pytest.raises(RunNotFoundError, match="'ab' is too short: give at least 4"):
        store.get_run("ab")  # shorter than 4 characters is never taken as a prefix


def test_artifacts_are_content_addressed_and_verified(store: RunStore, tmp_path) -> None:
    run_id = store.create_run()
    rec = store.log_artifact(run_id, "model.bin", b"weights", "application/octet-stream")
    path = tmp_path / "data.csv"
    path.write_text("a,b\n1,2\n")
    rec2 = store.log_artifact(run_id, "data.csv", path, "text/csv")
    assert store.read_artifact(rec.sha256) == b"weights"
    assert store.read_artifact(rec2.sha256) == path.read_bytes()
    assert [a.name for a in store.get_run(run_id).artifacts] == ["model.bin", "data.csv"]
    blob = tmp_path / "blobs" / rec.sha256[:2] / rec.sha256[2:]
    blob.write_bytes(b"tampered")
    with pytest.raises(ArtifactCorruptError, match="corrupt"):
        store.read_artifact(rec.sha256)
    with pytest.raises(ArtifactNotFoundError):
        store.read_artifact("0" * 64)
    with pytest.raises(ArtifactNotFoundError):
        store.read_artifact("../../etc/passwd")


def test_provenance_documents_are_stored_once(store: RunStore) -> None:
    packages = {"numpy": "2.0", "pandas": "2.2"}
    a = store.create_run(provenance={"packages": packages, "seeds": {"random": 1}})
    b = store.create_run(provenance={"packages": packages, "seeds": {"random": 2}})
    assert store.get_run(a).provenance["packages"] == packages
    assert store.get_run(b).provenance["seeds"] == {"random": 2}
    assert store.info()["runs_count"] == 2


def test_search_filters_sorts_and_pages(store: RunStore) -> None:
    for i in range(25):
        run_id = store.create_run(
            name=f"r{i:02d}",
            experiment="even" if i % 2 == 0 else "odd",
            params={"i": i, "model": "rf" if i < 10 else "svm"},
        )
        store.log_metrics([(run_id, "acc", 0, i / 25, time.time())])
    page = store.search_runs(
        filter="params.model == 'svm'", order_by="metrics.acc DESC", limit=5, offset=5
    )
    assert [r.name for r in page] == ["r19", "r18", "r17", "r16", "r15"]
    assert store.count_runs(filter="metrics.acc >= 0.5") == 12
    assert store.count_runs(experiment="even") == 13
    assert page[0].params["i"] == 19 and page[0].metrics["acc"] == pytest.approx(19 / 25)


def test_runs_frame_has_typed_wide_columns(store: RunStore) -> None:
    a = store.create_run(name="a", params={"lr": 0.1, "model": "rf", "flag": True}, tags={"t": "x"})
    store.log_metrics([(a, "acc", 0, 0.8, 1.0)])
    b = store.create_run(name="b", params={"lr": 0.2, "epochs": 3})
    store.end_run(b)
    frame = store.runs_frame(order_by="name")
    assert list(frame["name"]) == ["a", "b"]
    assert {
        "params.lr",
        "params.model",
        "params.flag",
        "params.epochs",
        "metrics.acc",
        "tags.t",
    } <= set(frame.columns)
    assert frame.loc[0, "params.lr"] == 0.1 and frame.loc[1, "params.epochs"] == 3
    assert frame.loc[0, "params.flag"] is True or frame.loc[0, "params.flag"] == True  # noqa: E712
    assert math.isnan(frame.loc[1, "metrics.acc"])
    assert store.runs_frame(filter="name == 'zzz'").empty


def test_delete_removes_the_run_and_gc_its_blobs(store: RunStore) -> None:
    keep, drop = store.create_run(), store.create_run()
    kept = store.log_artifact(keep, "k", b"keep me")
    store.log_artifact(drop, "d", b"drop me")
    store.log_metrics(_metrics(drop, "m", [1, 2]))
    store.delete_run(drop[:10])
    with pytest.raises(RunNotFoundError):
        store.get_run(drop)
    assert store.gc()["removed"] == 0  # younger than the grace period
    assert store.gc(dry_run=True, grace_seconds=0)["removed"] == 1
    assert store.gc(grace_seconds=0) == {
        "removed": 1,
        "bytes": 7,
        "kept": 1,
        "young": 0,
        "partial": 0,
        "partial_bytes": 0,
        "trashed_runs": 0,
    }
    assert store.read_artifact(kept.sha256) == b"keep me"


def test_experiments_are_listed_with_counts(store: RunStore) -> None:
    store.create_run(experiment="a")
    store.create_run(experiment="a")
    store.create_run(experiment="b")
    assert [(e.name, e.run_count) for e in store.list_experiments()] == [("a", 2), ("b", 1)]


def test_reopen_a_store_sees_everything(store: RunStore) -> None:
    run_id = store.create_run(params={"x": 1})
    store.end_run(run_id)
    again = RunStore(store.url, blob_root=store.blobs.root)
    assert again.get_run(run_id).params == {"x": 1}
    again.dispose()


def test_blobs_on_an_fsspec_url_are_written_verified_and_collected(tmp_path) -> None:
    """A team store can keep its artifacts on any fsspec filesystem (memory:// here)."""
    import uuid

    from mlops_jupyter.errors import ArtifactCorruptError

    root = f"memory://mlops-{uuid.uuid4().hex}"
    store = RunStore(str(tmp_path / "runs.db"), blob_root=root)
    run_id = store.create_run()
    kept = store.log_artifact(run_id, "model.bin", b"remote weights")
    path = tmp_path / "data.csv"
    path.write_text("a\n1\n")
    dropped = store.log_artifact(run_id, "data.csv", path)
    assert store.read_artifact(kept.sha256) == b"remote weights"
    assert set(store.blobs.iter_hashes()) == {kept.sha256, dropped.sha256}
    store.log_artifact(run_id, "data.csv", b"replaced")  # the old blob is now unreferenced
    assert store.gc(grace_seconds=0)["removed"] == 1
    assert store.read_artifact(kept.sha256) == b"remote weights"
    fs = store.blobs.files.fs
    fs.pipe(f"{store.blobs.files.base}/{kept.sha256[:2]}/{kept.sha256[2:]}", b"tampered")
    with pytest.raises(ArtifactCorruptError):
        store.read_artifact(kept.sha256)
