"""RunStore: runs, params, metrics, tags, artifacts and provenance, written and read."""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from mlops_jupyter import env
from mlops_jupyter.errors import ArtifactNotFoundError, ArtifactSourceError
from mlops_jupyter.store import blob_gc, docs, limits, queries, schema
from mlops_jupyter.store.blob_gc import DEFAULT_GRACE_SECONDS
from mlops_jupyter.store.blobs import BlobStore
from mlops_jupyter.store.connection import StoreConnection
from mlops_jupyter.store.liveness import HOST as _HOST
from mlops_jupyter.store.liveness import dead_runs
from mlops_jupyter.store.liveness import process_start as _process_start
from mlops_jupyter.store.location import default_blob_root, sqlite_path
from mlops_jupyter.store.records import ArtifactRecord, ExperimentRecord, MetricPoint, RunRecord
from mlops_jupyter.store.rows import param_rows_of, storable_rows, tag_rows_of
from mlops_jupyter.store.values import decode_param

if TYPE_CHECKING:
    import pandas as pd
    from sqlalchemy import ScalarResult

MetricRow = tuple[str, str, int, float, float]  # run_id, key, step, value, timestamp
_INSERT_RUN = insert(schema.runs)  # built once: constructing statements costs more than running
_END_RUN = update(schema.runs).where(schema.runs.c.run_id == bindparam("rid"))


class RunStore(StoreConnection):
    """A run store at a SQLite file or PostgreSQL URL, plus its artifact blob store.

    Opening it creates the schema in an empty database, refuses a foreign or newer one, and
    marks runs whose process died as killed.
    """

    def __init__(
        self,
        url: str | os.PathLike[str] | None = None,
        *,
        blob_root: str | None = None,
        migrate: bool = False,
        force: bool = False,
    ) -> None:
        super().__init__(url, migrate=migrate, force=force)
        self.blobs = BlobStore(blob_root or default_blob_root(self.url))
        self._known_provenance: set[str] = set()
        self._experiment_ids: dict[str, int] = {}
        self._doc_cache: dict[int, tuple[Any, str, str]] = {}
        if not self.read_only:
            self._guard(lambda: self.reap_dead_runs(wait=False))

    def on_reopen(self) -> None:
        """The database was recreated: experiment ids and known provenance no longer hold."""
        self._known_provenance.clear()
        self._experiment_ids.clear()

    # -- runs -----------------------------------------------------------------------------

    def _experiment_id(self, conn: Connection, name: str) -> int:
        known = self._experiment_ids.get(name)
        if known is not None:
            return known
        e = schema.experiments
        conn.execute(self._insert(e, ["name"]), {"name": name, "created": time.time()})
        found = conn.execute(select(e.c.experiment_id).where(e.c.name == name)).scalar_one()
        self._experiment_ids[name] = found
        return found

    def create_run(
        self,
        *,
        experiment: str | None = None,
        name: str | None = None,
        parent_run_id: str | None = None,
        source_notebook: str | None = None,
        cell_id: str | None = None,
        params: Mapping[str, Any] | None = None,
        tags: Mapping[str, Any] | None = None,
        provenance: Mapping[str, Any] | None = None,
    ) -> str:
        """Insert a running run owned by this process; returns its new id (32 hex chars)."""
        run_id = uuid.uuid4().hex
        now = time.time()
        self.check_identity()
        experiment = experiment or env.get(env.EXPERIMENT, env.DEFAULT_EXPERIMENT)
        limits.check_name("experiment name", experiment, limits.EXPERIMENT_NAME_MAX)
        limits.check_name("run name", name, limits.RUN_NAME_MAX)
        # a run is never refused for one unstorable captured value: those are left out, warned
        param_rows = storable_rows(param_rows_of, run_id, params or {}, "params")
        tag_rows = storable_rows(tag_rows_of, run_id, tags or {}, "tags")
        prov_docs = self._provenance_docs(provenance or {})

        def write(conn: Connection) -> None:
            conn.execute(
                _INSERT_RUN,
                {
                    "run_id": run_id,
                    "experiment_id": self._experiment_id(conn, experiment),
                    "name": name or f"run-{run_id[:8]}",
                    "status": "running",
                    "start_time": now,
                    "end_time": None,
                    "parent_run_id": parent_run_id,
                    "source_notebook": source_notebook,
                    "cell_id": cell_id,
                    "pid": os.getpid(),
                    "pid_started": _process_start(os.getpid()),
                    "host": _HOST,
                    "heartbeat": now,
                    "updated_at": now,
                    "error": None,
                    "metrics_doc": "{}",
                    "params_doc": docs.dumps(
                        {p["key"]: decode_param(p["value"], p["type"]) for p in param_rows}
                    ),
                    "tags_doc": docs.dumps({t["key"]: t["value"] for t in tag_rows}),
                },
            )
            self._write_rows(conn, schema.params, param_rows, ["value", "value_num", "type"])
            self._write_rows(conn, schema.tags, tag_rows, ["value"])
            self._write_provenance(conn, run_id, prov_docs)

        self._write(write)
        return run_id

    def end_run(
        self,
        run_id: str,
        status: str = "finished",
        error: str | None = None,
        metrics: Sequence[MetricRow] = (),
        end_time: float | None = None,
    ) -> None:
        """Set a run's final status (finished, failed or killed) and end time (default now; a
        spool replay passes the time the run really ended), writing its last buffered `metrics`
        in the same transaction."""
        now = time.time()

        def write(conn: Connection) -> None:
            self._write_metrics(conn, metrics)
            conn.execute(
                _END_RUN,
                {
                    "rid": run_id,
                    "status": status,
                    "end_time": now if end_time is None else end_time,
                    "heartbeat": now,
                    "updated_at": now,
                    "error": error,
                },
            )

        self._write(write)

    def reopen_run(self, run_id: str) -> None:
        """Mark an ended run running again, owned by this process (to resume logging)."""
        now = time.time()
        self._write(
            lambda conn: conn.execute(
                update(schema.runs)
                .where(schema.runs.c.run_id == run_id)
                .values(
                    status="running",
                    end_time=None,
                    error=None,
                    pid=os.getpid(),
                    pid_started=_process_start(os.getpid()),
                    host=_HOST,
                    heartbeat=now,
                    updated_at=now,
                )
            )
        )

    def heartbeat(self, run_ids: Iterable[str]) -> None:
        """Mark runs as alive now."""
        ids, now = list(run_ids), time.time()
        if ids:
            self._write(
                lambda conn: conn.execute(
                    update(schema.runs)
                    .where(schema.runs.c.run_id.in_(ids))
                    .values(heartbeat=now, updated_at=now)
                )
            )

    def reap_dead_runs(self, wait: bool = True) -> list[str]:
        """Mark killed every running run whose process is gone (same host: dead pid; any host:
        no heartbeat for MLOPS_JUPYTER_HEARTBEAT_TIMEOUT seconds, default 300).

        With `wait=False` (what opening a store does) a SQLite write lock held by busy writers
        is waited for only briefly; the marking then finishes in a background thread, so a
        reader never waits seconds behind writers.
        """
        r = schema.runs
        timeout = env.get_float(env.HEARTBEAT_TIMEOUT, 300.0)
        now = time.time()
        rows = self._read(
            lambda conn: conn.execute(
                select(r.c.run_id, r.c.pid, r.c.pid_started, r.c.host, r.c.heartbeat).where(
                    r.c.status == "running"
                )
            ).all()
        )
        dead = dead_runs(rows, now, timeout)
        if not dead:
            return dead
        last_sign = (func.max if self.dialect == "sqlite" else func.greatest)(
            func.coalesce(r.c.heartbeat, r.c.updated_at), r.c.updated_at
        )
        mark = (
            update(r)
            .where(r.c.run_id.in_(dead), r.c.status == "running")
            .values(
                # the last sign of life: flushes advance updated_at, heartbeats come every 15 s
                status="killed",
                end_time=last_sign,
                updated_at=now,
                error="the process running this run died (found by mlops-jupyter)",
            )
        )
        if wait or self.dialect != "sqlite" or not self._try_quick_write(mark):
            if wait or self.dialect != "sqlite":
                self._write(lambda conn: conn.execute(mark))
            else:
                threading.Thread(
                    target=self._write,
                    args=(lambda conn: conn.execute(mark),),
                    name="mlops-reap",
                    daemon=True,
                ).start()
        return dead

    def _try_quick_write(self, statement: Any, seconds: float = 0.25) -> bool:
        """Run one SQLite write if the write lock comes within `seconds`; False if it did not."""
        from sqlalchemy.exc import OperationalError

        from mlops_jupyter.store.location import is_lock_error

        with self._writer.connect() as conn:
            raw = conn.connection.dbapi_connection
            assert raw is not None  # None only once the pooled connection is invalidated
            raw.execute(f"PRAGMA busy_timeout = {int(seconds * 1000)}")
            try:
                with conn.begin():
                    conn.execute(statement)
                return True
            except OperationalError as err:
                if not is_lock_error(err):
                    raise
                return False
            finally:
                raw.execute("PRAGMA busy_timeout = 60000")

    def delete_run(self, run_id: str) -> str:
        """Delete a run and everything logged to it (blobs stay until `gc`); returns its id."""

        def write(conn: Connection) -> str:
            full = queries.resolve_run_id(conn, run_id)
            for table in schema.RUN_CHILD_TABLES:
                conn.execute(delete(table).where(table.c.run_id == full))
            conn.execute(delete(schema.runs).where(schema.runs.c.run_id == full))
            return full

        return self._write(write)

    # -- params, metrics, tags ------------------------------------------------------------

    def _write_rows(
        self, conn: Connection, table: Any, rows: list[dict[str, Any]], update_cols: list[str]
    ) -> None:
        if rows:
            conn.execute(self._insert(table, ["run_id", "key"], update_cols), rows)

    def log_params(self, run_id: str, params: Mapping[str, Any]) -> None:
        """Record parameters (typed); a key logged again takes the new value.

        Raises:
            ValueLimitError: a key or value over the limits in store/limits.py (checked before
                anything is written, so a refused batch writes nothing).
        """
        rows = param_rows_of(run_id, params)
        if not rows:
            return

        def write(conn: Connection) -> None:
            self._write_rows(conn, schema.params, rows, ["value", "value_num", "type"])
            docs.rebuild(conn, [run_id], params=True)

        self._write(write)

    def set_tags(self, run_id: str, tags: Mapping[str, Any]) -> None:
        """Set tags (strings) on a run; `run_id` may be a unique prefix."""
        checked = tag_rows_of("", tags)

        def write(conn: Connection) -> None:
            full = queries.resolve_run_id(conn, run_id)
            if checked:
                self._write_rows(
                    conn, schema.tags, [{**t, "run_id": full} for t in checked], ["value"]
                )
                docs.rebuild(conn, [full], tags=True)
            conn.execute(
                update(schema.runs)
                .where(schema.runs.c.run_id == full)
                .values(updated_at=time.time())
            )

        self._write(write)

    def log_metrics(self, rows: Sequence[MetricRow]) -> None:
        """Write a batch of metric points (any runs) and advance each metric's latest value."""
        if rows:
            self._write(lambda conn: self._write_metrics(conn, rows))

    def _write_metrics(self, conn: Connection, rows: Sequence[MetricRow]) -> None:
        if not rows:
            return
        points: list[dict[str, Any]] = [
            {"run_id": r, "key": k, "step": s, "value": v, "timestamp": t} for r, k, s, v, t in rows
        ]
        latest: dict[tuple[str, str], dict[str, Any]] = {}
        for point in points:
            seen = latest.get((point["run_id"], point["key"]))
            if seen is None or point["step"] >= seen["step"]:
                latest[(point["run_id"], point["key"])] = point
        conn.execute(
            self._insert(schema.metrics, ["run_id", "key", "step"], ["value", "timestamp"]), points
        )
        conn.execute(
            self._insert(
                schema.latest_metrics,
                ["run_id", "key"],
                ["step", "value", "timestamp"],
                only_newer=True,
            ),
            list(latest.values()),
        )
        docs.refresh_metrics(conn, {p["run_id"] for p in points}, time.time())

    # -- artifacts and provenance ----------------------------------------------------------

    def log_artifact(
        self,
        run_id: str,
        name: str,
        data: bytes | str | os.PathLike[str],
        media_type: str = "application/octet-stream",
    ) -> ArtifactRecord:
        """Store bytes or a file's content as the run's artifact `name` (replacing a same-named
        one). The blob is written (or verified, and repaired if corrupt) before the row, and
        held against `gc` until the row is committed, so a row always points at a whole blob."""
        if isinstance(data, (bytes, bytearray, memoryview)):
            source: bytes | str | os.PathLike[str] = bytes(data)
        elif not Path(data).is_file():
            raise ArtifactSourceError(os.fspath(data), "log_artifact")
        else:
            source = data
        with self.blobs.holding(source) as (sha, size):
            record = ArtifactRecord(name, sha, size, media_type, time.time())
            row = {"run_id": run_id, **record.__dict__}
            self._write(
                lambda conn: conn.execute(
                    self._insert(
                        schema.artifacts,
                        ["run_id", "name"],
                        ["sha256", "size", "media_type", "created"],
                    ),
                    row,
                )
            )
        return record

    def read_artifact(self, sha256: str) -> bytes:
        """A blob's bytes by hash, verified; only hashes a run references are served."""
        a = schema.artifacts
        known = self._read(
            lambda conn: conn.execute(
                select(a.c.sha256).where(a.c.sha256 == sha256).limit(1)
            ).first()
        )
        if known is None:
            raise ArtifactNotFoundError(sha256)
        return self.blobs.read(sha256)

    def _provenance_docs(self, provenance: Mapping[str, Any]) -> list[tuple[str, str, str]]:
        """(kind, sha256, JSON) per document. The per-process documents (package list, git) are
        the same objects every run, so their encoding is remembered by identity."""
        out = []
        for kind, doc in provenance.items():
            cached = self._doc_cache.get(id(doc))
            if cached is not None and cached[0] is doc:
                out.append((kind, cached[1], cached[2]))
                continue
            content = json.dumps(doc, sort_keys=True, default=str)
            digest = hashlib.sha256(content.encode()).hexdigest()
            if len(content) > 4096:  # only big documents are worth keeping alive
                self._doc_cache[id(doc)] = (doc, digest, content)
            out.append((kind, digest, content))
        return out

    def _write_provenance(
        self, conn: Connection, run_id: str, docs: list[tuple[str, str, str]]
    ) -> None:
        if not docs:
            return
        fresh = [{"sha256": h, "content": c} for _, h, c in docs if h not in self._known_provenance]
        if fresh:
            conn.execute(self._insert(schema.provenance_blobs, ["sha256"]), fresh)
        conn.execute(
            self._insert(schema.run_provenance, ["run_id", "kind"], ["sha256"]),
            [{"run_id": run_id, "kind": k, "sha256": h} for k, h, _ in docs],
        )
        self._known_provenance.update(h for _, h, _ in docs)

    def set_provenance(self, run_id: str, provenance: Mapping[str, Any]) -> None:
        """Attach provenance documents by kind; identical documents are stored once."""
        docs = self._provenance_docs(provenance)
        try:
            self._write(lambda conn: self._write_provenance(conn, run_id, docs))
        except SQLAlchemyError:
            self._known_provenance.clear()
            raise

    # -- reads ----------------------------------------------------------------------------

    def get_run(self, run_id: str) -> RunRecord:
        """One run with params, latest metrics, tags, artifacts and provenance."""
        return self._read(lambda conn: queries.get_run(conn, run_id))

    def run_experiment(self, run_id: str) -> str | None:
        """The experiment name of a run (None when there is no such run)."""
        r, e = schema.runs, schema.experiments
        return self._read(
            lambda conn: conn.execute(
                select(e.c.name)
                .join(r, r.c.experiment_id == e.c.experiment_id)
                .where(r.c.run_id == run_id)
            ).scalar()
        )

    def resolve_run_id(self, run_id: str) -> str:
        """The full id for an id or unique prefix."""
        return self._read(lambda conn: queries.resolve_run_id(conn, run_id))

    def search_runs(self, **kwargs: Any) -> list[RunRecord]:
        """Runs matching a filter, sorted and paged (see queries.search_runs)."""
        return self._read(lambda conn: queries.search_runs(conn, **kwargs))

    def count_runs(self, **kwargs: Any) -> int:
        """How many runs match a filter."""
        return self._read(lambda conn: queries.count_runs(conn, **kwargs))

    def runs_frame(self, **kwargs: Any) -> pd.DataFrame:
        """Matching runs as a DataFrame with params.*, metrics.*, tags.* columns."""
        return self._read(lambda conn: queries.runs_frame(conn, **kwargs))

    def metric_history(self, run_id: str, key: str) -> list[MetricPoint]:
        """Every step of one metric of one run."""
        return self._read(
            lambda conn: queries.metric_history(conn, queries.resolve_run_id(conn, run_id), key)
        )

    def metric_keys(self, run_id: str) -> list[str]:
        """The names of the metrics a run has logged."""
        lm = schema.latest_metrics
        return self._read(
            lambda conn: list(
                conn.execute(
                    select(lm.c.key).where(lm.c.run_id == run_id).order_by(lm.c.key)
                ).scalars()
            )
        )

    def list_experiments(self) -> list[ExperimentRecord]:
        """Every experiment with its number of runs."""
        return self._read(queries.list_experiments)

    # -- maintenance ----------------------------------------------------------------------

    def gc(
        self, dry_run: bool = False, grace_seconds: float = DEFAULT_GRACE_SECONDS
    ) -> dict[str, int]:
        """Delete blobs no run references and partial blobs of killed writers.

        Blobs and partial files younger than `grace_seconds` (default an hour) are kept, as are
        blobs of writes in flight; see blob_gc.collect. Returns counts: removed and bytes
        (blobs freed), partial and partial_bytes (killed writers' leftovers), kept
        (referenced) and young (unreferenced but within the grace period or in flight).
        """
        return blob_gc.collect(self.blobs, self._referenced_blobs, grace_seconds, dry_run)

    def _referenced_blobs(self, hashes: Sequence[str]) -> set[str]:
        """Which of `hashes` an artifact row names, read fresh (gc's first and second check)."""
        a = schema.artifacts
        found: set[str] = set()
        for start in range(0, len(hashes), 500):
            chunk = list(hashes[start : start + 500])

            def read(conn: Connection, chunk: list[str] = chunk) -> ScalarResult[Any]:
                return conn.execute(
                    select(a.c.sha256).where(a.c.sha256.in_(chunk)).distinct()
                ).scalars()

            found.update(self._read(read))
        return found

    def info(self) -> dict[str, Any]:
        """Location, schema version, counts and size of the store."""

        def count(conn: Connection) -> dict[str, int]:
            return {
                t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
                for t in (schema.experiments, schema.runs, schema.metrics, schema.artifacts)
            }

        counts = self._read(count)
        path = sqlite_path(self.url)
        return {
            "store": self.location,
            "backend": self.dialect,
            "read_only": self.read_only,
            "schema_version": self.schema_version(),
            "blobs": self.blobs.root,
            "size_bytes": path.stat().st_size if path and path.exists() else None,
            **{f"{k}_count": v for k, v in counts.items()},
        }
