"""A run's life in the store: created, ended, reopened, kept alive, reaped when its process
died, and deleted."""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update

from mlops_jupyter import env
from mlops_jupyter.store import docs, limits, queries, schema
from mlops_jupyter.store.liveness import HOST as _HOST
from mlops_jupyter.store.liveness import dead_runs
from mlops_jupyter.store.liveness import process_start as _process_start
from mlops_jupyter.store.rows import param_rows_of, storable_rows, tag_rows_of
from mlops_jupyter.store.run_values import MetricRow, RunValues
from mlops_jupyter.store.values import decode_param

_INSERT_RUN = insert(schema.runs)  # built once: constructing statements costs more than running
_END_RUN = update(schema.runs).where(schema.runs.c.run_id == bindparam("rid"))


class RunLifecycle(RunValues):
    """The status changes of runs, and their owner (pid, host, heartbeat); `RunStore` inherits
    them. A run is created with its first params, tags and provenance, and ended with its last
    metrics, each in one transaction."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._experiment_ids: dict[str, int] = {}
        super().__init__(*args, **kwargs)

    def on_reopen(self) -> None:
        """The database was recreated: the experiment ids known here no longer hold."""
        super().on_reopen()
        self._experiment_ids.clear()

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
        prov_docs = self.encode_provenance(provenance or {})

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
            self.write_rows(conn, schema.params, param_rows, ["value", "value_num", "type"])
            self.write_rows(conn, schema.tags, tag_rows, ["value"])
            self.write_provenance(conn, run_id, prov_docs)

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
            self.write_metrics(conn, metrics)
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
