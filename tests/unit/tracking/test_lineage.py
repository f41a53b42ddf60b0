"""Inputs without a kernel: snapshots and their restore, the stat cache, stat-only inputs, read
hooks in-process, and `runs diff` on identical runs."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pandas as pd
import pytest

import mlops_jupyter as mj
from mlops_jupyter.cli.main import main
from mlops_jupyter.tracking import input_files, read_hooks
from mlops_jupyter.tracking.fingerprint import frame_fingerprint
from mlops_jupyter.tracking.inputs import record_reads


def _csv(path: Path, text: str = "x,y\n1,2\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_a_snapshot_is_restored_byte_for_byte_and_a_conflict_is_refused(tmp_path, capsys):
    data = _csv(Path("data/train.csv"), "x,y\n1,2\n3,4\n")
    with mj.start_run("snap") as run:
        sha = mj.log_input(data, snapshot=True)
        mj.log_input(_csv(Path("data/other.csv")))
    entry = {i["path"]: i for i in mj.get_run(run.run_id).inputs}["data/train.csv"]
    assert entry["snapshot"] == sha == hashlib.sha256(data.read_bytes()).hexdigest()
    data.write_text("x,y\n9,9\n")  # the working copy moves on
    restore = tmp_path / "restored"
    assert main(["runs", "inputs", run.run_id[:8], "--restore", str(restore)]) == 0
    out = capsys.readouterr().out
    assert (
        "restored 1 of 2 input(s)" in out and "not snapshotted" in out and "data/other.csv" in out
    )
    assert (restore / "data" / "train.csv").read_text() == "x,y\n1,2\n3,4\n"
    (restore / "data" / "train.csv").write_text("local edit")
    assert main(["runs", "inputs", run.run_id[:8], "--restore", str(restore)]) == 2
    assert "already exists with other content" in capsys.readouterr().err
    assert main(["runs", "inputs", run.run_id[:8], "--restore", str(restore), "--force"]) == 0
    assert (restore / "data" / "train.csv").read_text() == "x,y\n1,2\n3,4\n"
    capsys.readouterr()
    assert main(["runs", "inputs", run.run_id[:8], "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)["inputs"]
    assert [i["path"] for i in listed] == ["data/train.csv", "data/other.csv"]
    assert listed[0]["schema"]["columns"] == {"x": "int64", "y": "int64"}


def test_an_unchanged_file_is_not_hashed_again_and_a_changed_one_is(monkeypatch):
    data = _csv(Path("data.csv"))
    input_files.clear_cache()
    calls = []
    real = input_files.sha256_of
    monkeypatch.setattr(input_files, "sha256_of", lambda p: calls.append(p) or real(p))
    first = input_files.describe_file(data)
    input_files.clear_cache()  # a new kernel: the cache comes back from .mlops/input-hashes.json
    again = input_files.describe_file(data)
    assert len(calls) == 1 and first["sha256"] == again["sha256"]
    data.write_text("x,y\n1,3\n")
    changed = input_files.describe_file(data)
    assert len(calls) == 2 and changed["sha256"] != first["sha256"]


def test_files_outside_the_project_or_over_the_cap_are_recorded_by_stat_only(tmp_path, monkeypatch):
    outside = _csv(tmp_path / "elsewhere" / "shared.csv")
    entry = input_files.describe_file(outside)
    assert entry["sha256"] is None and "outside the project" in entry["note"]
    assert entry["path"] == str(outside.resolve()) and entry["size"] == outside.stat().st_size
    monkeypatch.setenv("MLOPS_JUPYTER_INPUT_HASH_MAX", "3")
    big = input_files.describe_file(_csv(Path("big.csv")))
    assert big["sha256"] is None and "over the 3 byte hash cap" in big["note"]


def test_hooks_note_reads_in_process_and_snapshot_small_files(monkeypatch):
    monkeypatch.setenv("MLOPS_JUPYTER_SNAPSHOT_MAX", "1000")
    _csv(Path("a.csv"))
    Path("notes.txt").write_text("hello")
    Path("out.txt").write_text("")
    with mj.start_run("hooks") as run, read_hooks.recording() as reads:
        frame = pd.read_csv("a.csv")
        assert Path("notes.txt").read_text() == "hello"
        with open("out.txt", "w") as fh:  # written, not read: not an input
            fh.write("x")
        problems = record_reads(run, reads)
    assert problems == []
    inputs = {i["path"]: i for i in mj.get_run(run.run_id).inputs}
    assert set(inputs) == {"a.csv", "notes.txt"}
    assert inputs["a.csv"]["frame"]["fingerprint"] == frame_fingerprint(frame)["fingerprint"]
    assert inputs["notes.txt"]["reader"] == "Path.read_text" and inputs["notes.txt"]["snapshot"]
    assert pd.read_csv("a.csv").shape == (1, 2)  # outside recording the readers are plain calls


def test_a_fingerprint_changes_with_any_single_value():
    frame = pd.DataFrame(
        {
            "a": range(1000),
            "b": [0.5] * 1000,
            "c": ["x"] * 1000,
            "d": pd.to_datetime(["2020-01-01"] * 1000),
            "e": pd.Categorical(["p", "q"] * 500),
            "f": [[1]] * 1000,  # unhashable cells
        }
    )
    base = frame_fingerprint(frame)["fingerprint"]
    assert frame_fingerprint(frame.copy())["fingerprint"] == base
    changes = (
        ("a", -1),
        ("b", 0.5000001),
        ("c", "y"),
        ("d", pd.Timestamp("2021-01-01")),
        ("e", "p"),  # row 637 is "q"
        ("f", [2]),
    )
    for column, value in changes:
        changed = frame.copy()
        changed.at[637, column] = value
        assert frame_fingerprint(changed)["fingerprint"] != base, column
    assert frame_fingerprint(frame.rename(columns={"a": "A"}))["fingerprint"] != base
    assert frame_fingerprint(frame.rename(index={637: 10_000}))["fingerprint"] != base


def test_runs_diff_of_a_run_with_itself_exits_0(capsys):
    with mj.start_run("same", params={"lr": 0.1}) as run:
        mj.log_metric("acc", 0.9)
    assert main(["runs", "diff", run.run_id, run.run_id, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["differences"] == []
    with pytest.raises(SystemExit):
        main(["runs", "diff", run.run_id])
    assert os.environ["MLOPS_JUPYTER_STORE"]


def _notebook(*sources: str) -> bytes:
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    return nbformat.writes(nb).encode()


def test_diff_names_git_seed_environment_hidden_state_and_notebook_code():
    from mlops_jupyter.tracking.diff import diff_runs

    def run(commit, seed, host, hidden, code):
        extra = {
            "git": {"available": True, "commit": commit, "dirty": False, "diff": ""},
            "seeds": {"numpy": seed},
            "host": {"hostname": host, "os": "Linux"},
            "cell": {"source": "x = 1", "hidden_state": hidden, "hidden_state_reason": "edited"},
        }
        with mj.start_run("r", extra_provenance=extra) as r:
            r.log_artifact(_notebook("import x", code), name="source.ipynb")
        return mj.get_run(r.run_id)

    a = run("c1", 1, "h1", False, "acc = 0.1")
    b = run("c2", 2, "h2", True, "acc = 0.2")
    store = mj.open_store()
    found = {(d.kind, d.key): d for d in diff_runs(a, b, store.read_artifact)}
    assert set(found) == {
        ("code", "notebook"),
        ("environment", "host.hostname"),
        ("git", "commit"),
        ("seed", "numpy"),
        ("hidden_state", "hidden_state"),
    }
    assert "-acc = 0.1\n+acc = 0.2" in found[("code", "notebook")].extra["diff"]
    assert found[("hidden_state", "hidden_state")].b == "edited"
    assert diff_runs(a, a, store.read_artifact) == []


def test_a_cell_reading_very_many_files_keeps_the_first_and_says_so(monkeypatch):
    monkeypatch.setattr(read_hooks, "MAX_FILES", 2)
    for i in range(3):
        Path(f"f{i}.txt").write_text(str(i))
    with mj.start_run("many") as run, read_hooks.recording() as reads:
        for i in range(3):
            with open(f"f{i}.txt") as fh:
                fh.read()
        problems = record_reads(run, reads)
    assert [i["path"] for i in mj.get_run(run.run_id).inputs] == ["f0.txt", "f1.txt"]
    assert problems == ["more than 2 files read: the first are kept"]


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_inputs_and_snapshots_round_trip_on_both_backends(
    backend, request, tmp_path, capsys, monkeypatch
):
    from mlops_jupyter.store import RunStore

    url = (
        str(tmp_path / "s" / "runs.db")
        if backend == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    monkeypatch.setenv("MLOPS_JUPYTER_BLOBS", str(tmp_path / "blobs"))  # the CLI's blobs too
    store = RunStore(url)
    data = _csv(Path("data/train.csv"), "x\n1\n")
    with mj.start_run("rt", store=store) as run:
        run.log_input(data, snapshot=True)
    (entry,) = store.get_run(run.run_id).inputs
    assert entry["path"] == "data/train.csv" and entry["snapshot"] == entry["sha256"]
    assert store.read_artifact(entry["snapshot"]) == b"x\n1\n"
    assert main(["--store", url, "runs", "inputs", run.run_id, "--restore", "out"]) == 0
    assert Path("out/data/train.csv").read_bytes() == b"x\n1\n"
    store.dispose()


def test_hooked_readers_still_pickle_by_reference():
    import pickle

    import numpy as np

    with read_hooks.recording():
        pass  # installs the hooks
    for function in (pd.read_csv, np.load, open, Path.read_text):
        assert getattr(function, "__mlops_read_hook__", False), function
        assert pickle.loads(pickle.dumps(function)) is function
