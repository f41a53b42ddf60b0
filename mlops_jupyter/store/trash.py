"""The trash: deleting a run marks it (and, if asked, its descendants) deleted; restore unmarks
it; `store gc` purges what is in the trash. Listings leave trashed runs out (queries.py)."""

from __future__ import annotations

import time
from collections.abc import Iterable

from sqlalchemy import Connection, delete, func, select, update

from mlops_jupyter.errors import RunNotFoundError
from mlops_jupyter.store import queries, schema
from mlops_jupyter.store.connection import StoreConnection

_r = schema.runs


def _descendants(conn: Connection, run_ids: list[str]) -> list[str]:
    """Every run below `run_ids` (children, grandchildren, ...), breadth first."""
    found: list[str] = []
    frontier, seen = list(run_ids), set(run_ids)
    while frontier:
        rows = []
        for start in range(0, len(frontier), 500):
            chunk = frontier[start : start + 500]
            rows += list(
                conn.execute(select(_r.c.run_id).where(_r.c.parent_run_id.in_(chunk))).scalars()
            )
        frontier = [r for r in rows if r not in seen]
        seen.update(frontier)
        found += frontier
    return found


class RunTrash(StoreConnection):
    """Soft delete, restore and purge of runs (mixed into RunStore)."""

    def trash_runs(self, run_ids: Iterable[str], *, children: bool = False) -> list[str]:
        """Move runs (and with `children`, every run below them) to the trash; returns the ids.

        Raises:
            RunNotFoundError: for an id no live run has (a trashed run cannot be trashed twice).
        """

        def write(conn: Connection) -> list[str]:
            ids = [queries.resolve_run_id(conn, run_id) for run_id in run_ids]
            live = set(
                conn.execute(
                    select(_r.c.run_id).where(_r.c.run_id.in_(ids), _r.c.deleted_at.is_(None))
                ).scalars()
            )
            for run_id in ids:
                if run_id not in live:
                    raise RunNotFoundError(run_id)
            every = ids + (_descendants(conn, ids) if children else [])
            now = time.time()
            for start in range(0, len(every), 500):
                chunk = every[start : start + 500]
                conn.execute(
                    update(_r)
                    .where(_r.c.run_id.in_(chunk), _r.c.deleted_at.is_(None))
                    .values(deleted_at=now, updated_at=now)
                )
            return every

        return self._write(write)

    def restore_runs(self, run_ids: Iterable[str]) -> list[str]:
        """Take runs out of the trash (with the descendants trashed at the same moment)."""

        def write(conn: Connection) -> list[str]:
            ids = [queries.resolve_run_id(conn, run_id) for run_id in run_ids]
            rows = conn.execute(
                select(_r.c.run_id, _r.c.deleted_at).where(_r.c.run_id.in_(ids))
            ).all()
            stamps = [row.deleted_at for row in rows if row.deleted_at is not None]
            below: list[str] = []
            descendants = _descendants(conn, ids)
            for start in range(0, len(descendants), 500):
                chunk = descendants[start : start + 500]
                below += conn.execute(
                    select(_r.c.run_id).where(_r.c.run_id.in_(chunk), _r.c.deleted_at.in_(stamps))
                ).scalars()
            every = ids + below
            now = time.time()
            for start in range(0, len(every), 500):
                chunk = every[start : start + 500]
                conn.execute(
                    update(_r).where(_r.c.run_id.in_(chunk)).values(deleted_at=None, updated_at=now)
                )
            return every

        return self._write(write)

    def trashed_at(self, run_ids: Iterable[str]) -> dict[str, float]:
        """When each of `run_ids` that is in the trash was put there."""
        ids = list(run_ids)

        def read(conn: Connection) -> dict[str, float]:
            rows = conn.execute(
                select(_r.c.run_id, _r.c.deleted_at).where(
                    _r.c.run_id.in_(ids), _r.c.deleted_at.is_not(None)
                )
            ).all()
            return {row.run_id: row.deleted_at for row in rows}

        return self._read(read) if ids else {}

    def child_counts(self, run_ids: Iterable[str]) -> dict[str, int]:
        """How many live children each of `run_ids` has (those with none are left out)."""
        ids = list(run_ids)

        def read(conn: Connection) -> dict[str, int]:
            rows = conn.execute(
                select(_r.c.parent_run_id, func.count())
                .where(_r.c.parent_run_id.in_(ids), _r.c.deleted_at.is_(None))
                .group_by(_r.c.parent_run_id)
            ).all()
            return {parent: int(n) for parent, n in rows}

        return self._read(read) if ids else {}

    def purge_trash(self, *, dry_run: bool = False) -> int:
        """Delete every run in the trash for good (their blobs go at the same `gc`); the count."""

        def write(conn: Connection) -> int:
            ids = list(
                conn.execute(select(_r.c.run_id).where(_r.c.deleted_at.is_not(None))).scalars()
            )
            if dry_run:
                return len(ids)
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                for table in schema.RUN_CHILD_TABLES:
                    conn.execute(delete(table).where(table.c.run_id.in_(chunk)))
                conn.execute(delete(_r).where(_r.c.run_id.in_(chunk)))
            return len(ids)

        return self._write(write)
