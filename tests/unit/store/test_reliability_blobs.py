"""Blob store reliability: gc against live writers, killed writers' leftovers, repair on re-log."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import mlops_jupyter as mj
from mlops_jupyter.errors import ArtifactCorruptError, ArtifactSourceError, MlopsJupyterError
from mlops_jupyter.store import RunStore, blob_gc
from tests.support import ROOT

_ROOT = str(ROOT)
_HOUR_AGO = time.time() - 2 * 3600

# Logs N artifacts into RUN: even ones are fresh content, odd ones re-log content whose blob
# already exists, is old and unreferenced (the gc's favourite prey).
_WRITER = textwrap.dedent("""
    import sys, uuid
    from mlops_jupyter.store import RunStore
    db, blobs, run_id, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    store = RunStore(db, blob_root=blobs)
    print("ready", flush=True)
    for i in range(n):
        data = (f"new-{i}-{uuid.uuid4().hex}" if i % 2 == 0 else f"old-{i}").encode()
        store.log_artifact(run_id, f"a{i}", data * 50)
    print("done", flush=True)
""")


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": _ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}


def _missing_blobs(store: RunStore, run_id: str) -> list[str]:
    """Names of the run's artifacts whose blob cannot be read back whole."""
    bad = []
    for artifact in store.get_run(run_id).artifacts:
        try:
            store.read_artifact(artifact.sha256)
        except MlopsJupyterError:
            bad.append(artifact.name)
    return bad


@pytest.mark.slow
@pytest.mark.parametrize("grace", [3600.0, 0.0], ids=["default-grace", "no-grace"])
def test_gc_in_a_loop_never_deletes_blobs_of_artifacts_being_logged(tmp_path, grace) -> None:
    """D2 / F8: a second process logs 300 artifacts (half of them re-logging content whose old,
    unreferenced blob gc wants to delete) while gc runs in a loop here. The old gc deleted
    197 of 300; with no grace at all the in-flight markers and the second check must hold."""
    db, blobs, n = str(tmp_path / "runs.db"), str(tmp_path / "blobs"), 300
    store = RunStore(db, blob_root=blobs)
    old_run = store.create_run()
    for i in range(1, n, 2):
        store.log_artifact(old_run, f"a{i}", f"old-{i}".encode() * 50)
    store.delete_run(old_run)  # their blobs are now unreferenced...
    for sha in store.blobs.iter_hashes():  # ...and older than any grace period
        os.utime(store.blobs.path_of(sha), (_HOUR_AGO, _HOUR_AGO))
    run_id = store.create_run()
    writer = subprocess.Popen(
        [sys.executable, "-c", _WRITER, db, blobs, run_id, str(n)],
        stdout=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    assert writer.stdout.readline().strip() == "ready"
    loops = 0
    while writer.poll() is None:
        store.gc(grace_seconds=grace)
        loops += 1
    assert writer.wait() == 0, "the writer process failed"
    assert loops >= 3, "gc must have run while the writer logged"
    assert len(store.get_run(run_id).artifacts) == n
    assert _missing_blobs(store, run_id) == []
    store.gc(grace_seconds=0)  # nothing in flight now: only the truly unreferenced go
    assert _missing_blobs(store, run_id) == []
    assert sorted(store.blobs.iter_hashes()) == sorted(
        {a.sha256 for a in store.get_run(run_id).artifacts}
    )
    store.dispose()


def test_relogging_content_of_an_old_blob_protects_it_from_gc(tmp_path) -> None:
    """D2: re-logging content whose blob exists refreshes its age, so a gc with the default
    grace period that starts right after keeps it (the old code left it old and deletable)."""
    store = RunStore(str(tmp_path / "runs.db"), blob_root=str(tmp_path / "blobs"))
    run_id = store.create_run()
    rec = store.log_artifact(run_id, "m.bin", b"weights")
    store.delete_run(run_id)
    path = store.blobs.path_of(rec.sha256)
    os.utime(path, (_HOUR_AGO, _HOUR_AGO))
    inode = os.stat(path).st_ino
    store.log_artifact(store.create_run(), "m.bin", b"weights")
    assert os.stat(path).st_ino == inode, "a sound blob is not rewritten"
    assert time.time() - os.stat(path).st_mtime < 60
    late_row = blob_gc.collect(store.blobs, lambda hashes: set())  # as if the row were late
    assert late_row["removed"] == 0
    store.dispose()


def test_gc_collects_partial_blobs_older_than_the_grace_period(tmp_path) -> None:
    """D19 / F4: `.tmp-*` files of killed writers were never counted or removed."""
    store = RunStore(str(tmp_path / "runs.db"), blob_root=str(tmp_path / "blobs"))
    rec = store.log_artifact(store.create_run(), "keep", b"keep me")
    folder = Path(store.blobs.path_of(rec.sha256)).parent
    stale, fresh = folder / f".tmp-{'a' * 62}-x1", folder / f".tmp-{'b' * 62}-x2"
    stale.write_bytes(b"\0" * 1000)
    fresh.write_bytes(b"\0" * 10)
    os.utime(stale, (_HOUR_AGO, _HOUR_AGO))
    assert store.gc(dry_run=True)["partial"] == 1 and stale.exists()
    result = store.gc()
    assert (result["partial"], result["partial_bytes"], result["removed"]) == (1, 1000, 0)
    assert not stale.exists() and fresh.exists(), "a young .tmp file may still be written"
    assert store.read_artifact(rec.sha256) == b"keep me"
    store.dispose()


_BIG_WRITER = textwrap.dedent("""
    import resource, signal, sys
    from mlops_jupyter.store import RunStore
    db, blobs, run_id, source = sys.argv[1:5]
    store = RunStore(db, blob_root=blobs)
    # the kernel kills this process (SIGXFSZ, which Python ignores unless reset; no handler,
    # no cleanup) when the blob being written passes 8 MB: a writer dying mid-write, at a
    # byte we know
    signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (8 << 20, 8 << 20))
    store.log_artifact(run_id, "big.bin", source)
    print("survived", flush=True)
""")


@pytest.mark.slow
def test_a_writer_killed_mid_blob_leaves_no_row_and_gc_removes_its_partial(tmp_path) -> None:
    """D19 / F4: a real process dies while writing a 24 MB blob; no row, nothing served, and
    gc (no grace) removes the partial file once its writer is gone, counting its bytes."""
    db, blobs = str(tmp_path / "runs.db"), str(tmp_path / "blobs")
    store = RunStore(db, blob_root=blobs)
    run_id = store.create_run()
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(1 << 20) * 24)
    done = subprocess.run(
        [sys.executable, "-c", _BIG_WRITER, db, blobs, run_id, str(source)],
        check=False,
        capture_output=True,
        text=True,
        env=_env(),
        timeout=60,
    )
    assert done.returncode == -signal.SIGXFSZ, done.stderr
    assert not store.get_run(run_id).artifacts
    partial = list(Path(blobs).rglob(".tmp-*"))
    assert len(partial) == 1 and partial[0].stat().st_size == 8 << 20
    assert list(store.blobs.iter_hashes()) == []
    result = store.gc(grace_seconds=0)
    assert (result["partial"], result["partial_bytes"]) == (1, 8 << 20)
    assert not list(Path(blobs).rglob(".tmp-*")) and not list(Path(blobs).rglob(".inflight/*"))
    store.dispose()


def test_relogging_the_same_content_repairs_a_corrupt_blob(tmp_path) -> None:
    """D7 / F6: a blob with 4 flipped bytes (same size) or truncated stays corrupt for every
    later run after re-logging, as the error message advises; now re-logging rewrites it."""
    store = RunStore(str(tmp_path / "runs.db"), blob_root=str(tmp_path / "blobs"))
    content = os.urandom(100_000)
    source = tmp_path / "model.bin"
    source.write_bytes(content)
    rec = store.log_artifact(store.create_run(), "model.bin", source)
    path = Path(store.blobs.path_of(rec.sha256))
    for damage in ("flip", "truncate"):
        data = bytearray(path.read_bytes())
        if damage == "flip":
            data[5000:5004] = bytes(b ^ 0xFF for b in data[5000:5004])
        else:
            del data[50_000:]
        path.write_bytes(bytes(data))
        with pytest.raises(ArtifactCorruptError):
            store.read_artifact(rec.sha256)
        again = store.log_artifact(store.create_run(), "model.bin", source)  # from a file
        assert again.sha256 == rec.sha256
        assert store.read_artifact(rec.sha256) == content
    path.write_bytes(b"x" * len(content))
    store.log_artifact(store.create_run(), "model.bin", content)  # from bytes
    assert store.read_artifact(rec.sha256) == content
    store.dispose()


def test_log_input_of_a_missing_file_says_so() -> None:
    """D22: log_input raised a raw FileNotFoundError from deep inside the hashing code."""
    with mj.start_run("inputs") as run, pytest.raises(ArtifactSourceError) as err:
        run.log_input("data/train.csv")
    assert isinstance(err.value, FileNotFoundError)
    assert "log_input: no file 'data/train.csv'" in str(err.value)
    assert "check the path" in str(err.value)


def test_log_artifact_of_a_folder_says_it_is_a_folder(tmp_path) -> None:
    """D22: a folder got "no artifact '/tmp' in the store", which blames the store."""
    (tmp_path / "out").mkdir()
    with mj.start_run("folder") as run:
        with pytest.raises(ArtifactSourceError) as err:
            run.log_artifact(tmp_path / "out")
        with pytest.raises(FileNotFoundError, match="no file"):
            run.log_artifact(tmp_path / "missing.bin")
    message = str(err.value)
    assert "is a folder, not a file" in message and "rglob" in message
    assert "in the store" not in message


def test_blobs_are_readable_by_the_team_like_any_file_the_user_writes(tmp_path) -> None:
    """mkstemp creates 0600 files: a shared blob folder would be unreadable to colleagues."""
    import os
    import stat

    from mlops_jupyter.store import RunStore

    store = RunStore(str(tmp_path / "s" / "runs.db"))
    run_id = store.create_run(name="shared")
    sha = store.log_artifact(run_id, "model.bin", b"weights", "application/octet-stream").sha256
    mode = stat.S_IMODE(os.stat(store.blobs.path_of(sha)).st_mode)
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o666 & ~umask
