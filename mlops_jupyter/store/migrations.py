"""Schema versions and the code that upgrades an older store, one step per version.

Each entry of `MIGRATIONS` upgrades version N to N+1 inside one transaction; the tests build a
store of every older version (with `create_version`) and migrate it with data in it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import Connection, MetaData, Table, insert, select, text, update

from mlops_jupyter import env
from mlops_jupyter.errors import MigrationRefusedError
from mlops_jupyter.store import docs, schema
from mlops_jupyter.store.liveness import dead_runs

_V1_TABLES = (
    "experiments",
    "runs",
    "params",
    "metrics",
    "tags",
    "artifacts",
    "provenance_blobs",
    "run_provenance",
)


def _v1_to_v2(conn: Connection) -> None:
    """Version 2 adds `latest_metrics`, filled from each metric's highest step."""
    schema.latest_metrics.create(conn)
    conn.execute(
        text(
            "INSERT INTO latest_metrics (run_id, key, step, value, timestamp) "
            "SELECT m.run_id, m.key, m.step, m.value, m.timestamp FROM metrics m "
            "JOIN (SELECT run_id, key, MAX(step) AS step FROM metrics GROUP BY run_id, key) mx "
            "ON m.run_id = mx.run_id AND m.key = mx.key AND m.step = mx.step"
        )
    )


def _v2_to_v3(conn: Connection) -> None:
    """Version 3 adds the params/metrics/tags JSON documents on each run row."""
    for column in schema.DOC_COLUMNS:
        conn.execute(text(f"ALTER TABLE runs ADD COLUMN {column} TEXT"))
    run_ids = list(conn.execute(select(schema.runs.c.run_id)).scalars())
    docs.rebuild(conn, run_ids, params=True, tags=True)
    docs.refresh_metrics(conn, run_ids, time.time())


def _v3_to_v4(conn: Connection) -> None:
    """Version 4 adds the model registry: models, versions, tags, aliases and alias moves."""
    for table in schema.REGISTRY_TABLES:
        table.create(conn)


def _v4_to_v5(conn: Connection) -> None:
    """Version 5 adds `runs.deleted_at`: deleting a run moves it to the trash until `store gc`."""
    conn.execute(text("ALTER TABLE runs ADD COLUMN deleted_at FLOAT"))


def _v5_to_v6(conn: Connection) -> None:
    """Version 6 replaces `ix_runs_parent` by a covering index of parent, trash and experiment."""
    conn.execute(text("DROP INDEX IF EXISTS ix_runs_parent"))
    conn.execute(
        text(
            "CREATE INDEX IF NOT EXISTS ix_runs_parent_live "
            "ON runs (parent_run_id, deleted_at, experiment_id)"
        )
    )


#: version N -> function upgrading N to N+1
MIGRATIONS: dict[int, Callable[[Connection], None]] = {
    1: _v1_to_v2,
    2: _v2_to_v3,
    3: _v3_to_v4,
    4: _v4_to_v5,
    5: _v5_to_v6,
}


def _tables_of(version: int) -> list[Table]:
    """The tables as `version` had them (runs without the columns later versions added; before
    4, no registry)."""
    md = MetaData()
    names = _V1_TABLES + (("latest_metrics",) if version >= 2 else ()) + ("mlops_schema_info",)
    tables = []
    for name in names:
        if name == "runs":
            # SQLAlchemy has no public Column copy (Table.to_metadata copies every column),
            # so the private Column._copy() cannot be avoided here
            columns = [
                c._copy()  # noqa: SLF001
                for c in schema.runs.c
                if schema.ADDED_COLUMNS.get(c.name, 1) <= version
            ]
            tables.append(Table("runs", md, *columns))
        else:
            tables.append(schema.metadata.tables[name].to_metadata(md))
    if version >= 4:
        tables += [t.to_metadata(md) for t in schema.REGISTRY_TABLES]
    return tables


def create_version(conn: Connection, version: int) -> None:
    """Create an empty store of an older `version` (for tests of the upgrade path)."""
    if version == schema.SCHEMA_VERSION:
        create_current(conn)
        return
    if version not in MIGRATIONS:
        raise ValueError(f"no definition of schema version {version}")
    tables = _tables_of(version)
    tables[0].metadata.create_all(conn, tables=tables)
    conn.execute(insert(schema.schema_info).values(key="schema_version", value=str(version)))


def create_current(conn: Connection) -> None:
    """Create every table of the current version and record the version."""
    schema.metadata.create_all(conn)
    conn.execute(
        insert(schema.schema_info).values(key="schema_version", value=str(schema.SCHEMA_VERSION))
    )


def upgrade(conn: Connection, found: int) -> list[int]:
    """Apply every migration from `found` up to the current version; returns versions passed."""
    passed = []
    for version in range(found, schema.SCHEMA_VERSION):
        MIGRATIONS[version](conn)
        passed.append(version + 1)
    conn.execute(
        update(schema.schema_info)
        .where(schema.schema_info.c.key == "schema_version")
        .values(value=str(schema.SCHEMA_VERSION))
    )
    return passed


def refuse_live_writers(conn: Connection, location: str) -> None:
    """Refuse to migrate while runs are being recorded by live processes.

    Those processes run the older code: they keep writing rows after the upgrade but never the
    documents the new version reads, so the listed values would stay stale for good.
    """
    r = schema.runs
    rows = conn.execute(
        select(r.c.run_id, r.c.pid, r.c.pid_started, r.c.host, r.c.heartbeat).where(
            r.c.status == "running"
        )
    ).all()
    if not rows:
        return
    timeout = env.get_float(env.HEARTBEAT_TIMEOUT, 300.0)
    dead = set(dead_runs(rows, time.time(), timeout))
    live = [row for row in rows if row[0] not in dead]
    if live:
        shown = ", ".join(
            f"{run_id[:8]} (pid {pid} on {host})" for run_id, pid, _, host, _ in live[:5]
        ) + (f" and {len(live) - 5} more" if len(live) > 5 else "")
        raise MigrationRefusedError(
            f"not migrating {location}: {len(live)} run(s) are being recorded right now by "
            f"processes running the older mlops-jupyter: {shown}. Their later writes would not "
            "show in the upgraded store. Let them finish (or stop them), then run `mlops-jupyter "
            "store migrate` again; `store migrate --force` migrates anyway"
        )
