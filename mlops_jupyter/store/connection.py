"""The database side of a store: engines, schema checks, error mapping and statement reuse."""

from __future__ import annotations

import os
from typing import Any, Callable, Sequence, TypeVar

from sqlalchemy import Connection, inspect, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DatabaseError, IntegrityError, OperationalError

from mlops_jupyter.errors import CorruptStoreError, SchemaVersionError, StoreUnavailableError
from mlops_jupyter.store import migrations
from mlops_jupyter.store import schema
from mlops_jupyter.store.location import create_store_engines, display_url, resolve_store_url, with_retry

T = TypeVar("T")


class StoreConnection:
    """Opens (and creates or checks) the database at `url`; every query goes through here so
    that driver errors become messages naming the store and the fix."""

    def __init__(self, url: str | os.PathLike[str] | None = None, *, migrate: bool = False) -> None:
        self.url = resolve_store_url(url)
        self.location = display_url(self.url)
        self.dialect = "sqlite" if self.url.startswith("sqlite") else "postgresql"
        self._reader, self._writer = create_store_engines(self.url)
        self._statements: dict[tuple[Any, ...], Any] = {}
        self._guard(lambda: self._prepare(migrate))

    def _guard(self, fn: Callable[[], T]) -> T:
        """Turn driver errors into messages that name the store and the fix."""
        try:
            return with_retry(fn)
        except OperationalError as err:
            reason = str(err.orig).strip().splitlines()[0] if err.orig else str(err)
            if "readonly" in reason or "read-only" in reason or "unable to open" in reason:
                raise StoreUnavailableError(
                    self.location, reason, "make the store file and its folder writable, or "
                    "set MLOPS_JUPYTER_STORE or --store to a writable path") from err
            if "file is not a database" in reason or "malformed" in reason:
                raise CorruptStoreError(self.location, reason) from err
            raise StoreUnavailableError(
                self.location, reason, "check that the database server is running and the URL "
                "in MLOPS_JUPYTER_STORE or --store is right") from err
        except IntegrityError:
            raise
        except DatabaseError as err:
            reason = str(err.orig).strip().splitlines()[0] if err.orig else str(err)
            raise CorruptStoreError(self.location, reason) from err

    def _write(self, fn: Callable[[Connection], T]) -> T:
        def attempt() -> T:
            with self._writer.begin() as conn:
                return fn(conn)
        return self._guard(attempt)

    def _read(self, fn: Callable[[Connection], T]) -> T:
        def attempt() -> T:
            with self._reader.connect() as conn:
                return fn(conn)
        return self._guard(attempt)

    def _insert(self, table: Any, conflict: Sequence[str], update_cols: Sequence[str] = (),
                only_newer: bool = False) -> Any:
        """INSERT ... ON CONFLICT DO UPDATE/NOTHING in the store's dialect, built once per store
        (building SQLAlchemy statements costs more than running them on SQLite)."""
        key = (table.name, tuple(conflict), tuple(update_cols), only_newer)
        stmt = self._statements.get(key)
        if stmt is None:
            stmt = sqlite.insert(table) if self.dialect == "sqlite" else postgresql.insert(table)
            if update_cols:
                stmt = stmt.on_conflict_do_update(
                    index_elements=list(conflict),
                    set_={c: stmt.excluded[c] for c in update_cols},
                    where=(stmt.excluded.step >= table.c.step) if only_newer else None)
            else:
                stmt = stmt.on_conflict_do_nothing(index_elements=list(conflict))
            self._statements[key] = stmt
        return stmt

    def _prepare(self, migrate: bool) -> None:
        with self._writer.begin() as conn:
            if self.dialect == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(7201955)"))
            names = set(inspect(conn).get_table_names())
            if not names:
                migrations.create_current(conn)
                return
            if schema.schema_info.name not in names:
                raise CorruptStoreError(
                    self.location, "it holds tables of another application: "
                    + ", ".join(sorted(names)[:5]))
            found = int(conn.execute(select(schema.schema_info.c.value).where(
                schema.schema_info.c.key == "schema_version")).scalar_one())
            if found == schema.SCHEMA_VERSION:
                return
            if found < schema.SCHEMA_VERSION and migrate:
                migrations.upgrade(conn, found)
                return
            raise SchemaVersionError(self.location, found, schema.SCHEMA_VERSION)

    def dispose(self) -> None:
        """Close pooled connections (the store stays usable; connections reopen on demand)."""
        self._reader.dispose()
        self._writer.dispose()

    def schema_version(self) -> int:
        """The schema version recorded in the database."""
        si = schema.schema_info
        return self._read(lambda conn: int(conn.execute(
            select(si.c.value).where(si.c.key == "schema_version")).scalar_one()))
