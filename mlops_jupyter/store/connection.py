"""The database side of a store: engines, schema checks, error mapping and statement reuse."""

from __future__ import annotations

import os
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Connection, inspect, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import DatabaseError, IntegrityError, NoResultFound, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from mlops_jupyter.errors import CorruptStoreError, SchemaVersionError, StoreUnavailableError
from mlops_jupyter.store import migrations, schema
from mlops_jupyter.store.errormap import map_database_error, timeout_error
from mlops_jupyter.store.location import (
    create_store_engines,
    display_url,
    file_identity,
    resolve_store_url,
    sqlite_path,
    store_timeout,
    with_retry,
)

T = TypeVar("T")


class StoreConnection:
    """Opens (and creates or checks) the database at `url`; every query goes through here so
    that driver errors become messages naming the store and the fix.

    Opening an existing store of the current version only reads, so it never waits behind
    writers and works on a read-only folder. A SQLite file that is deleted or replaced while
    this process holds it is noticed at the next write and reopened (with one warning), so new
    runs land in the file other processes see.
    """

    def __init__(
        self,
        url: str | os.PathLike[str] | None = None,
        *,
        migrate: bool = False,
        force: bool = False,
    ) -> None:
        self.url = resolve_store_url(url)
        self.location = display_url(self.url)
        self.dialect = "sqlite" if self.url.startswith("sqlite") else "postgresql"
        self.timeout = store_timeout()
        self._path = sqlite_path(self.url)
        self._statements: dict[tuple[Any, ...], Any] = {}
        self._checked_at = time.monotonic()
        self._open_engines()
        self._waiting(lambda: self._prepare(migrate, force))
        self._identity = file_identity(self._path)

    def _open_engines(self) -> None:
        self._reader, self._writer, self.read_only = create_store_engines(self.url)

    # -- error mapping ---------------------------------------------------------------------

    def _guard(self, fn: Callable[[], T]) -> T:
        """Turn driver errors into messages that name the store, the real cause and the fix."""
        try:
            return with_retry(fn)
        except IntegrityError:
            raise
        except PoolTimeoutError as err:  # every pooled connection stayed busy for the timeout
            raise timeout_error(self.location, self.timeout) from err
        except OverflowError as err:  # sqlite3 refuses ints beyond 64 bits before any SQL runs
            raise map_database_error(self.location, self._path, str(err), err) from err
        except (OperationalError, DatabaseError) as err:
            reason = str(err.orig).strip().splitlines()[0] if err.orig else str(err)
            raise map_database_error(self.location, self._path, reason, err) from err

    # -- reads and writes ------------------------------------------------------------------

    def _write(self, fn: Callable[[Connection], T]) -> T:
        self.check_identity()
        if self.read_only:
            raise StoreUnavailableError(
                self.location,
                f"the folder {self._path.parent if self._path else ''} is not "
                "writable, so the store was opened read-only",
                "make the folder writable (or remount it read-write) to record runs, or set "
                "MLOPS_JUPYTER_STORE or --store to a writable path",
            )
        return self._guard(lambda: self._run(self._writer, fn, write=True))

    def _read(self, fn: Callable[[Connection], T]) -> T:
        """A read transaction. While a PostgreSQL server restarts, reads wait for it (up to the
        store timeout) instead of failing: a reader sees a pause, not an error. Writes do not
        wait here: the tracking buffer keeps their points meanwhile."""
        if self._path is not None and time.monotonic() - self._checked_at > 0.5:
            self.check_identity()
        return self._waiting(lambda: self._run(self._reader, fn, write=False))

    def _waiting(self, fn: Callable[[], T]) -> T:
        """`_guard(fn)`, retried with backoff while a PostgreSQL server restarts (up to the store
        timeout), for reads and for opening a store, which change nothing if retried."""
        deadline, delay = time.monotonic() + self.timeout, 0.1
        while True:
            try:
                return self._guard(fn)
            except StoreUnavailableError as err:
                if not _server_restarting(err) or time.monotonic() + delay > deadline:
                    raise
            time.sleep(delay)
            delay = min(delay * 2, 1.0)

    def _run(self, engine: Any, fn: Callable[[Connection], T], *, write: bool) -> T:
        """One transaction. On PostgreSQL a watchdog cuts the connection when the server does
        not answer within the store timeout (a frozen or unreachable server would otherwise
        hang the caller forever: libpq has no client-side query timeout); a connection that
        broke before the transaction was sent (server restarted) is retried once."""
        if self.dialect == "sqlite":
            with engine.begin() as conn:
                return fn(conn)
        for attempt in (0, 1):
            with engine.connect() as conn:
                watchdog = _Watchdog(conn, self.timeout)
                committing = False
                try:
                    with conn.begin() as trans:
                        result = fn(conn)
                        committing = True
                        trans.commit()
                    return result
                except OperationalError as err:
                    if watchdog.fired:
                        raise timeout_error(self.location, self.timeout) from err
                    if attempt or committing or not err.connection_invalidated:
                        raise
                finally:
                    watchdog.cancel()
        raise AssertionError("unreachable")

    def _insert(
        self,
        table: Any,
        conflict: Sequence[str],
        update_cols: Sequence[str] = (),
        only_newer: bool = False,
    ) -> Any:
        """INSERT ... ON CONFLICT DO UPDATE/NOTHING in the store's dialect, built once per store
        (building SQLAlchemy statements costs more than running them on SQLite)."""
        key = (table.name, tuple(conflict), tuple(update_cols), only_newer)
        stmt = self._statements.get(key)
        if stmt is None:
            if self.dialect == "sqlite":
                stmt = sqlite.insert(table)
            else:  # imported here: a SQLite store (every kernel's) never pays its ~0.15 s import
                from sqlalchemy.dialects import postgresql

                stmt = postgresql.insert(table)
            if update_cols:
                stmt = stmt.on_conflict_do_update(
                    index_elements=list(conflict),
                    set_={c: stmt.excluded[c] for c in update_cols},
                    where=(stmt.excluded.step >= table.c.step) if only_newer else None,
                )
            else:
                stmt = stmt.on_conflict_do_nothing(index_elements=list(conflict))
            self._statements[key] = stmt
        return stmt

    # -- schema ----------------------------------------------------------------------------

    def _found_version(self, conn: Connection) -> int | None:
        """The recorded schema version; None for an empty database."""
        names = set(inspect(conn).get_table_names())
        if not names:
            return None
        if schema.schema_info.name not in names:
            raise CorruptStoreError(
                self.location,
                "it holds tables of another application: " + ", ".join(sorted(names)[:5]),
            )
        try:
            raw = conn.execute(
                select(schema.schema_info.c.value).where(
                    schema.schema_info.c.key == "schema_version"
                )
            ).scalar_one()
        except NoResultFound:
            raise CorruptStoreError(self.location, "its schema version row is missing") from None
        try:
            return int(raw)
        except (TypeError, ValueError):
            raise CorruptStoreError(
                self.location, f"its schema version row is damaged ({raw!r:.40})"
            ) from None

    def _prepare(self, migrate: bool, force: bool = False) -> None:
        """Check the schema with a plain read; take the write lock only to create or migrate."""
        with self._reader.connect() as conn:
            found = self._found_version(conn)
        if found == schema.SCHEMA_VERSION:
            return
        if found is not None and found > schema.SCHEMA_VERSION:
            raise SchemaVersionError(self.location, found, schema.SCHEMA_VERSION)
        if found is not None and not migrate:
            raise SchemaVersionError(self.location, found, schema.SCHEMA_VERSION)
        if self.read_only:
            raise StoreUnavailableError(
                self.location,
                "the store must be created or migrated, but its folder is not writable",
                "make the folder writable, or point --store at a writable path",
            )
        with self._writer.begin() as conn:
            if self.dialect == "postgresql":
                conn.execute(text("SET LOCAL statement_timeout = 0"))  # migrations may be slow
                conn.execute(text("SELECT pg_advisory_xact_lock(7201955)"))
            found = self._found_version(conn)  # another process may have created it meanwhile
            if found is None:
                migrations.create_current(conn)
            elif found < schema.SCHEMA_VERSION:
                if not force:
                    migrations.refuse_live_writers(conn, self.location)
                migrations.upgrade(conn, found)

    # -- identity (a deleted or replaced SQLite file) ---------------------------------------

    def check_identity(self) -> None:
        """Reopen the store when its SQLite file was deleted or replaced since it was opened.

        Pooled connections keep writing into a deleted file's inode, where no other process
        can see the rows; an os.stat per write (about a microsecond) catches that.
        """
        if self._path is None or self._identity is None:
            return
        self._checked_at = time.monotonic()
        now = file_identity(self._path)
        if now == self._identity:
            return
        what = "deleted" if now is None else "replaced by another file"
        old_reader, old_writer = self._reader, self._writer
        self._open_engines()
        self._guard(lambda: self._prepare(False))
        self._identity = file_identity(self._path)
        self.on_reopen()
        carried = self._carry_over(old_writer, old_reader)
        old_reader.dispose()
        old_writer.dispose()
        kept = f"; this process's {carried} running run(s) were copied into it" if carried else ""
        warnings.warn(
            f"mlops-jupyter: the run store {self._path} was {what} while this process held it; "
            f"it was reopened (recreated if missing) and new records go there{kept}. Other "
            "runs of the old file are not in it.",
            RuntimeWarning,
            stacklevel=3,
        )

    def _carry_over(self, *old_engines: Any) -> int:
        """Copy this process's running runs from the old file into the new one, through a
        connection still open on it (a new connection would open the new file)."""
        from mlops_jupyter.store.carry import copy_live_runs

        held = [e for e in old_engines if getattr(e.pool, "checkedin", lambda: 0)() > 0]
        if not held:
            return 0
        try:
            with held[0].connect() as src:
                return len(
                    self._guard(
                        lambda: self._run(
                            self._writer, lambda dst: copy_live_runs(src, dst), write=True
                        )
                    )
                )
        except Exception as err:
            warnings.warn(
                f"mlops-jupyter: could not copy the running runs out of the old store file ({err})",
                RuntimeWarning,
                stacklevel=4,
            )
            return 0

    def on_reopen(self) -> None:
        """Forget what was cached about the old database (subclasses extend this)."""

    def dispose(self) -> None:
        """Close pooled connections (the store stays usable; connections reopen on demand)."""
        self._reader.dispose()
        self._writer.dispose()

    def schema_version(self) -> int:
        """The schema version recorded in the database."""
        si = schema.schema_info
        return self._read(
            lambda conn: int(
                conn.execute(select(si.c.value).where(si.c.key == "schema_version")).scalar_one()
            )
        )


class _Watchdog:
    """Cuts a PostgreSQL connection's socket when a transaction outlives `seconds`."""

    def __init__(self, conn: Connection, seconds: float) -> None:
        self.fired = False
        self._lock = threading.Lock()
        self._done = False
        self._conn = conn
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        with self._lock:
            if self._done:
                return
            self.fired = True
            try:
                fd = self._conn.connection.dbapi_connection.pgconn.socket  # type: ignore[union-attr]
                import socket

                sock = socket.socket(fileno=os.dup(fd))
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                finally:
                    sock.close()
            except Exception:
                pass

    def cancel(self) -> None:
        with self._lock:
            self._done = True
        self._timer.cancel()


#: What libpq says while a server is stopping, starting or not yet listening: worth a wait.
_RESTARTING = (
    "connection refused",
    "the database system is starting up",
    "the database system is shutting down",
    "terminating connection",
    "server closed the connection",
    "connection to server",
    "no connection to the server",
)


def _server_restarting(err: StoreUnavailableError) -> bool:
    cause = err.__cause__
    if not isinstance(cause, OperationalError) or "timeout" in str(err).lower():
        return False
    text = str(cause.orig or cause).lower()
    return any(phrase in text for phrase in _RESTARTING)
