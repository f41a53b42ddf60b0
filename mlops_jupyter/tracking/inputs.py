"""A run's inputs: files logged with `log_input` or seen by the read hooks, and their snapshots.

Every input is one entry of the run's ``inputs`` provenance document (path, name, size,
mtime_ns, sha256, kind, schema, source, and for frames read from it a ``frame`` fingerprint);
an entry for a path already recorded replaces it. A snapshot is the file's content kept as a
content-addressed artifact blob named ``inputs/<path>``, so `runs inputs RUN --restore DIR` can
bring it back (DVC's checkout, without a second cache).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from mlops_jupyter import env
from mlops_jupyter.tracking.input_files import describe_file, sha256_of
from mlops_jupyter.tracking.read_hooks import Reads


class Run(Protocol):
    """What this module needs of a `tracking.Run` (the real class imports this module)."""

    run_id: str
    inputs: list[dict[str, Any]]

    @property
    def store(self) -> Any: ...


#: Prefix of the artifact names input snapshots are stored under.
SNAPSHOT_PREFIX = "inputs/"


def log_input(
    run: Run, path: str | os.PathLike[str], name: str | None = None, snapshot: bool = False
) -> str | None:
    """Record one input file of `run`; returns its sha256 (None when recorded by stat only).

    Raises:
        ArtifactSourceError: `path` is missing or is a folder.
    """
    from mlops_jupyter.errors import ArtifactSourceError

    if not Path(path).is_file():
        raise ArtifactSourceError(os.fspath(path), "log_input")
    entry = {**describe_file(path), "source": "log_input"}
    if name:
        entry["name"] = name
    if snapshot:
        keep_snapshot(run, entry, path)
    add_inputs(run, [entry])
    return entry["sha256"]


def keep_snapshot(run: Run, entry: dict[str, Any], path: str | os.PathLike[str]) -> None:
    """Store the file as an artifact blob and note its hash in `entry` (``snapshot``)."""
    record = run.store.log_artifact(
        run.run_id, SNAPSHOT_PREFIX + snapshot_name(entry), path, "application/octet-stream"
    )
    entry["snapshot"] = record.sha256
    if entry.get("sha256") is None:  # stat-only files get their hash from the blob
        entry["sha256"] = record.sha256


def snapshot_name(entry: dict[str, Any]) -> str:
    """Where a snapshot is restored to, below the restore folder: the project-relative path,
    or the file name for a file outside the project."""
    path = Path(str(entry.get("path", "")))
    return path.as_posix() if not path.is_absolute() else str(entry.get("name") or path.name)


def record_reads(run: Run, reads: Reads) -> list[str]:
    """Describe every file in `reads` and add them to the run; returns the problems (each a
    short text) for one warning line."""
    problems = list(reads.problems)
    entries = []
    snapshot_max = int(env.get_float(env.SNAPSHOT_MAX, 0))
    for read in reads.files.values():
        try:
            entry = describe_file(read.path)
        except OSError as err:
            problems.append(f"{read.path}: {err.strerror or err}")
            entry = _unreadable(read.path, err)
        entry.update(source="hook", reader=read.reader)
        if read.frames:
            entry["frame"] = read.frames[-1]
        if entry.get("sha256") and 0 < entry["size"] <= snapshot_max:
            try:
                keep_snapshot(run, entry, read.path)
            except Exception as err:
                problems.append(f"snapshot of {entry['path']}: {err}")
        entries.append(entry)
    add_inputs(run, entries)
    return problems


def _unreadable(path: str, err: OSError) -> dict[str, Any]:
    return {
        "name": os.path.basename(path),
        "path": path,
        "size": None,
        "kind": "file",
        "sha256": None,
        "schema": None,
        "note": f"could not be read after the cell: {err.strerror or err}",
    }


def add_inputs(run: Run, entries: Sequence[dict[str, Any]]) -> None:
    """Merge entries into the run's inputs (by path) and write the inputs document."""
    if not entries:
        return
    by_path = {str(e.get("path")): e for e in run.inputs}
    for entry in entries:
        old = by_path.get(str(entry.get("path")))
        same = old is not None and old.get("sha256") == entry.get("sha256")
        if same and old and old.get("snapshot") and "snapshot" not in entry:
            entry["snapshot"] = old["snapshot"]  # the same content stays restorable
        by_path[str(entry.get("path"))] = entry
    run.inputs[:] = list(by_path.values())
    run.store.set_provenance(run.run_id, {"inputs": run.inputs})


def changed_inputs(inputs: Sequence[dict[str, Any]], root: Path | None = None) -> list[str]:
    """The recorded inputs whose file on disk differs now (or is gone), as sentences, e.g.
    ``input data/train.csv changed since the run``; stat-only inputs compare size and mtime."""
    root = root or env.project_root()
    found = []
    for entry in inputs:
        path = Path(str(entry.get("path", "")))
        full = path if path.is_absolute() else root / path
        if not full.is_file():
            found.append(f"input {entry.get('path')} is missing")
            continue
        if entry.get("sha256") is None:
            st = full.stat()
            same = st.st_size == entry.get("size") and st.st_mtime_ns == entry.get("mtime_ns")
        else:
            now = describe_file(full, root).get("sha256") or sha256_of(full)
            same = now == entry["sha256"]
        if not same:
            found.append(f"input {entry.get('path')} changed since the run")
    return found


def inputs_with_children(store: Any, record: Any) -> list[dict[str, Any]]:
    """A run's inputs and those of its child runs (a `run` notebook's ``%%track`` cells), each
    with the ``run_id`` it was recorded on; a path read by several runs is listed once."""
    found: dict[str, dict[str, Any]] = {}
    for run in [record, *store.search_runs(parent_run_id=record.run_id, details=False)]:
        full = run if run is record else store.get_run(run.run_id)
        for entry in full.inputs:
            found.setdefault(str(entry.get("path")), {**entry, "run_id": full.run_id})
    return list(found.values())


def restore_inputs(
    store: Any, entries: Sequence[dict[str, Any]], folder: str | os.PathLike[str], force: bool
) -> list[tuple[dict[str, Any], Path | None]]:
    """Write every snapshotted input under `folder` (at its project-relative path); returns
    each entry with where it went (None: no snapshot). Blobs are verified as they are read.

    Raises:
        RestoreConflictError: a different file is in the way (and `force` is not given).
        ArtifactCorruptError: a snapshot no longer matches its hash.
    """
    from mlops_jupyter.errors import RestoreConflictError

    base = Path(folder).resolve()
    done: list[tuple[dict[str, Any], Path | None]] = []
    for entry in entries:
        if not entry.get("snapshot"):
            done.append((entry, None))
            continue
        target = (base / snapshot_name(entry)).resolve()
        if base not in target.parents:  # nothing is written outside the folder asked for
            target = base / Path(snapshot_name(entry)).name
        if target.is_file() and not force and sha256_of(target) != entry["snapshot"]:
            raise RestoreConflictError(str(target))
        data = store.read_artifact(entry["snapshot"])
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.restoring")
        partial.write_bytes(data)
        os.replace(partial, target)
        done.append((entry, target))
    return done
