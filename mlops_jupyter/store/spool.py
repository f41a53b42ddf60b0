"""Metric batches that outlive a store's absence or refusal: split writes and a local spool.

Two ways a batch of metric rows can fail, handled differently:

- the store **refuses a row** (a step beyond 64 bits, a key a column cannot hold): the batch is
  split in halves until only the refused rows are left out (`write_metrics`), and the caller
  warns once; the rest of the batch is written.
- the store **is away** (server down, disk full, network): nothing is dropped. The caller keeps
  the rows, and when they must leave memory (a buffer cap, run end, exit) it appends them to a
  spool file (`append`). Any later process that opens the store replays the spool (`replay`),
  as W&B's offline mode and `wandb sync` do.

The spool is one JSON-lines file per run, ``<run_id>.jsonl``, in a folder per store
(`spool_folder`): each line is ``{"run": id, "metrics": [[key, step, value, time], ...]}`` or
``{"run": id, "end": {"status": ..., "error": ..., "end_time": ...}}``. Writers and the replayer
take an exclusive ``flock`` on the file, and a writer whose file was replayed and removed while it
waited starts a new one, so no row is written twice into a file or lost with it. Replaying is
idempotent: metric rows are upserts on (run, key, step), and the end is the same update again.

A CLI can list what is waiting with `pending(url)` / `summary(url)` and write it with
``replay(RunStore(url))``.
"""

from __future__ import annotations

import errno
import fcntl
import functools
import hashlib
import json
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import DataError, IntegrityError, StatementError

from mlops_jupyter import env
from mlops_jupyter.errors import StoreUnavailableError
from mlops_jupyter.store.location import display_url, sqlite_path

if TYPE_CHECKING:
    from mlops_jupyter.store.run_values import MetricRow
    from mlops_jupyter.store.store import RunStore


@dataclass
class ReplayReport:
    """What one `replay` wrote: files consumed, metric rows written, runs ended, rows refused."""

    files: int = 0
    metrics: int = 0
    ended: list[str] = field(default_factory=list)
    refused: list[MetricRow] = field(default_factory=list)


# -- writing a batch, splitting on refusal ----------------------------------------------------


def is_refusal(err: BaseException) -> bool:
    """True when `err` says the store refused the *rows* (an input error such as a value too
    long, a NUL, an integer out of range or a NOT NULL key), False when it says the store itself
    is unusable: then every row must be kept, never dropped."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [err]
    while todo:
        cur = todo.pop()
        if cur is None or id(cur) in seen:
            continue
        seen.add(id(cur))
        if isinstance(cur, StoreUnavailableError):
            return False
        if isinstance(cur, (IntegrityError, DataError, OverflowError)):
            return True
        if isinstance(cur, (ValueError, TypeError)) and not isinstance(cur, StatementError):
            return True  # e.g. psycopg's "PostgreSQL text fields cannot contain NUL (0x00) bytes"
        orig = getattr(cur, "orig", None)
        todo.extend(
            [cur.__cause__, cur.__context__, orig if isinstance(orig, BaseException) else None]
        )
    return False


def write_metrics(store: RunStore, rows: Sequence[MetricRow]) -> list[MetricRow]:
    """Write `rows`; if the store refuses the batch, split it in halves down to the rows it
    refuses and write the rest. Returns the refused rows (usually none).

    Raises:
        StoreUnavailableError (or another store error): the store is away; some halves may be
            written already, so the caller keeps all of `rows` (rewriting them is harmless).
    """
    refused: list[MetricRow] = []
    _write_split(store, list(rows), refused)
    return refused


def _write_split(store: RunStore, rows: list[MetricRow], refused: list[MetricRow]) -> None:
    if not rows:
        return
    try:
        store.log_metrics(rows)
        return
    except Exception as err:  # classified below, re-raised unless the rows are bad
        if not is_refusal(err):
            raise
    if len(rows) == 1:
        refused.append(rows[0])
        return
    mid = len(rows) // 2
    _write_split(store, rows[:mid], refused)
    _write_split(store, rows[mid:], refused)


def end_run(
    store: RunStore,
    run_id: str,
    status: str,
    error: str | None,
    rows: Sequence[MetricRow],
    end_time: float | None = None,
) -> list[MetricRow]:
    """Write a run's last `rows` and its final status in one transaction; if the store refuses a
    row, write the rows split (`write_metrics`) and then the status. Returns the refused rows."""
    try:
        store.end_run(run_id, status, error, metrics=rows, end_time=end_time)
        return []
    except Exception as err:  # classified: only bad rows are worked around
        if not is_refusal(err):
            raise
    refused = write_metrics(store, rows)
    try:
        store.end_run(run_id, status, error, end_time=end_time)
    except Exception as err:  # the error text itself refused (e.g. a NUL in a traceback)
        if not is_refusal(err) or error is None:
            raise
        store.end_run(run_id, status, error.replace("\x00", "\\x00")[:100_000], end_time=end_time)
    return refused


def describe_refused(refused: Sequence[MetricRow]) -> str:
    """One warning line naming the refused rows by key and step (the first few)."""
    shown = ", ".join(f"{key!r:.60} step {step}" for _, key, step, _, _ in refused[:3])
    more = f" and {len(refused) - 3} more" if len(refused) > 3 else ""
    return (
        f"mlops-jupyter: the store refused {len(refused)} metric point(s) ({shown}{more}); "
        "they were dropped, every other point of the run was written"
    )


# -- the spool folder and its files -----------------------------------------------------------


def spool_folder(url: str) -> Path:
    """The spool folder of the store at `url` (resolved URL), one sub-folder per store.

    MLOPS_JUPYTER_SPOOL, else ``spool/`` beside a SQLite file, else ``<project root>/.mlops/spool``
    for a server store. The sub-folder is named by a hash of the URL without its password, so
    every process that opens the same store finds the same spool.
    """
    shown = display_url(url)
    configured = env.get(env.SPOOL)
    path = sqlite_path(url)
    if configured:
        root = Path(configured).expanduser()
    elif path is not None and url not in ("sqlite://", "sqlite:///:memory:"):
        root = path.parent / "spool"
    else:
        root = env.project_root() / env.STORE_DIRNAME / "spool"
    return root / hashlib.sha256(shown.encode()).hexdigest()[:16]


def spool_folders(url: str) -> list[Path]:
    """Every folder the spool of `url` may use, in the order `append` tries them: the store's
    own (`spool_folder`), then the project's ``.mlops/spool`` when that is elsewhere, so a
    SQLite store on a full disk can still spool into the project folder.

    Asked at every run start and end, so it is cached per (URL, working directory, setting):
    finding the project root walks the folders above.
    """
    return list(_spool_folders(url, os.getcwd(), env.get(env.SPOOL)))


@functools.lru_cache(maxsize=64)
def _spool_folders(url: str, cwd: str, configured: str | None) -> tuple[Path, ...]:
    folders = [spool_folder(url)]
    fallback = env.project_root(cwd) / env.STORE_DIRNAME / "spool" / folders[0].name
    if fallback != folders[0] and not configured:
        folders.append(fallback)
    return tuple(folders)


def append(
    url: str, run_id: str, rows: Sequence[MetricRow] = (), end: dict[str, Any] | None = None
) -> Path:
    """Append `rows` (and the run's `end`: status, error, end_time) to the run's spool file,
    durably (fsync); returns the file.

    Raises:
        OSError: no spool folder can be written either (e.g. they are all on the same full
            disk).
    """
    error: OSError | None = None
    for folder in spool_folders(url):
        try:
            return _append_in(folder, url, run_id, rows, end)
        except OSError as err:  # this folder's disk is full or read-only: try the next one
            error = err
    assert error is not None
    raise error


def _append_in(
    folder: Path, url: str, run_id: str, rows: Sequence[MetricRow], end: dict[str, Any] | None
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    marker = folder / "store.txt"
    if not marker.exists():
        marker.write_text(display_url(url) + "\n")
    lines = []
    if rows:
        points = [[k, s, v, t] for _, k, s, v, t in rows]
        lines.append(json.dumps({"run": run_id, "metrics": points}))
    if end is not None:
        lines.append(json.dumps({"run": run_id, "end": end}))
    data = ("\n".join(lines) + "\n").encode()
    path = folder / f"{run_id}.jsonl"
    while True:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as err:
                if err.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                os.close(fd)  # being replayed right now: write a file of its own instead
                fd = -1
                path = folder / f"{run_id}.{uuid.uuid4().hex[:8]}.jsonl"
                continue
            if os.fstat(fd).st_nlink == 0:  # replayed and removed after we opened it
                continue
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
            return path
        finally:
            if fd >= 0:
                os.close(fd)  # closing releases the lock


def pending(url: str) -> list[Path]:
    """The spool files waiting to be written into the store at `url` (oldest first)."""
    found = []
    for folder in spool_folders(url):
        try:
            names = [name for name in os.listdir(folder) if name.endswith(".jsonl")]
        except OSError:
            continue
        found += [(_mtime(folder / name), folder / name) for name in names]
    return [path for _, path in sorted(found)]


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:  # replayed and removed meanwhile
        return 0.0


def summary(url: str) -> dict[str, Any]:
    """For `store info`: the spool folder, how many files wait and their size in bytes."""
    files = pending(url)
    size = 0
    for path in files:
        try:
            size += path.stat().st_size
        except OSError:
            pass
    return {"spool": str(spool_folder(url)), "spool_files": len(files), "spool_bytes": size}


def read(path: Path | int) -> tuple[dict[str, list[MetricRow]], dict[str, dict[str, Any]]]:
    """(rows per run, end per run) of one spool file (a path, or a file descriptor to read from
    its start); a torn line (a writer killed mid-write) is skipped, every complete one kept."""
    rows: dict[str, list[MetricRow]] = {}
    ends: dict[str, dict[str, Any]] = {}
    if isinstance(path, int):
        os.lseek(path, 0, os.SEEK_SET)
        path = os.dup(path)
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            try:
                entry = json.loads(line)
                run_id = entry["run"]
                points = [(run_id, k, s, v, t) for k, s, v, t in entry.get("metrics", ())]
                end = entry.get("end")
                if end is not None:
                    end = {
                        "status": str(end["status"]),
                        "error": end.get("error"),
                        "end_time": end.get("end_time"),
                    }
            except (ValueError, KeyError, TypeError, AttributeError):
                continue  # torn or foreign line: the rest of the file still counts
            rows.setdefault(run_id, []).extend(points)
            if end is not None:
                ends[run_id] = end
    return rows, ends


def replay(store: RunStore) -> ReplayReport:
    """Write every waiting spool file of `store` into it and remove the file; files a writer
    or another replayer holds right now are left for the next time. Idempotent.

    Raises:
        StoreUnavailableError (or another store error): the store is away; the file being
            replayed stays, nothing is lost.
    """
    report = ReplayReport()
    for path in pending(store.url):
        try:
            fd = os.open(path, os.O_RDWR)
        except FileNotFoundError:
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue
            if os.fstat(fd).st_nlink == 0:
                continue
            rows, ends = read(fd)  # the very file we hold the lock on
            for run_id in {*rows, *ends}:
                batch = rows.get(run_id, [])
                end = ends.get(run_id)
                if end is None:
                    report.refused += write_metrics(store, batch)
                else:
                    report.refused += end_run(
                        store, run_id, end["status"], end.get("error"), batch, end.get("end_time")
                    )
                    report.ended.append(run_id)
                report.metrics += len(batch)
            os.unlink(path)
            report.files += 1
        finally:
            os.close(fd)
    report.metrics -= len(report.refused)
    return report
