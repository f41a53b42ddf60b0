"""Where a store lives: resolving paths and URLs, and opening a checked SQLAlchemy engine."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path
from typing import Callable, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from mlops_jupyter import env
from mlops_jupyter.errors import StoreUnavailableError, UnsupportedStoreURLError

SUPPORTED_SCHEMES = ("sqlite:///", "postgresql://", "postgresql+psycopg://", "postgres://")
_SQLITE_HEADER = b"SQLite format 3\x00"
T = TypeVar("T")


def resolve_store_url(url: str | os.PathLike[str] | None = None) -> str:
    """An explicit URL/path, else MLOPS_JUPYTER_STORE, else ``<project root>/.mlops/runs.db``.

    Plain paths become ``sqlite:///`` URLs with an absolute path; ``postgres://`` and
    ``postgresql://`` select the psycopg 3 driver.
    """
    raw = os.fspath(url) if url is not None else env.get(env.STORE)
    if raw is None:
        return f"sqlite:///{env.project_root() / env.STORE_DIRNAME / 'runs.db'}"
    if "://" not in raw:
        return f"sqlite:///{Path(raw).expanduser().resolve()}"
    if raw.startswith("sqlite:///"):
        path = raw[len("sqlite:///"):]
        return f"sqlite:///{Path(path).expanduser().resolve()}" if path else raw
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix):]
    if raw.startswith("postgresql+psycopg://"):
        return raw
    raise UnsupportedStoreURLError(raw, SUPPORTED_SCHEMES)


def display_url(url: str) -> str:
    """The URL without its password, for messages."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        if ":" in creds:
            return f"{scheme}://{creds.split(':', 1)[0]}:***@{host}"
    return url


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None for other databases)."""
    return Path(url[len("sqlite:///"):]) if url.startswith("sqlite:///") else None


def default_blob_root(url: str) -> str:
    """Blobs sit beside a SQLite file; for a server store, MLOPS_JUPYTER_BLOBS or the project."""
    configured = env.get(env.BLOBS)
    if configured:
        return configured
    path = sqlite_path(url)
    if path is not None:
        return str(path.parent / "blobs")
    return str(env.project_root() / env.STORE_DIRNAME / "blobs")


def check_sqlite_file(path: Path) -> None:
    """Make sure the folder can hold a store and that an existing file is a SQLite database."""
    from mlops_jupyter.errors import CorruptStoreError

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise StoreUnavailableError(
            str(path), f"cannot create the folder {path.parent} ({err.strerror})",
            "set MLOPS_JUPYTER_STORE or --store to a writable path") from err
    if not os.access(path.parent, os.W_OK):
        raise StoreUnavailableError(
            str(path), f"the folder {path.parent} is not writable",
            "fix its permissions, or set MLOPS_JUPYTER_STORE or --store to a writable path")
    if path.exists() and path.stat().st_size > 0:
        with open(path, "rb") as fh:
            if fh.read(16) != _SQLITE_HEADER:
                raise CorruptStoreError(str(path), "it is not a SQLite database")


def create_store_engines(url: str) -> tuple[Engine, Engine]:
    """(reader, writer) engines. SQLite writers take the lock up front (BEGIN IMMEDIATE) so two
    writers never deadlock on a lock upgrade; readers never block in WAL mode."""
    if url.startswith("sqlite:///"):
        path = sqlite_path(url)
        assert path is not None
        check_sqlite_file(path)
        reader = create_engine(url, poolclass=NullPool if _is_memory(url) else None)
        writer = create_engine(url)
        for engine, begin in ((reader, "BEGIN"), (writer, "BEGIN IMMEDIATE")):
            _configure_sqlite(engine, begin)
        return reader, writer
    try:
        engine = create_engine(url, pool_pre_ping=True, pool_size=2, max_overflow=4)
    except ImportError as err:
        raise StoreUnavailableError(
            display_url(url), "the PostgreSQL driver is not installed",
            "pip install 'mlops-jupyter[postgres]'") from err
    return engine, engine


def _is_memory(url: str) -> bool:
    return url in ("sqlite://", "sqlite:///:memory:")


def _configure_sqlite(engine: Engine, begin: str) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA busy_timeout = 60000")
        try:
            cur.execute("PRAGMA journal_mode = WAL")
        except sqlite3.OperationalError:
            pass  # another process is switching it right now; it persists in the file
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql(begin)


def is_lock_error(err: BaseException) -> bool:
    """SQLite's transient 'database is locked' / 'busy' family."""
    text = str(err).lower()
    return isinstance(err, OperationalError) and ("locked" in text or "busy" in text)


def with_retry(fn: Callable[[], T], *, seconds: float = 120.0) -> T:
    """Run `fn`, retrying SQLite lock errors with backoff so they never reach the user."""
    deadline, delay = time.monotonic() + seconds, 0.01
    while True:
        try:
            return fn()
        except OperationalError as err:
            if not is_lock_error(err) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.5)
