"""Where a store lives: resolving paths and URLs, and opening a checked SQLAlchemy engine."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

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
    if raw is not None and not raw.strip():
        raise StoreUnavailableError(
            repr(raw),
            "the store path is empty",
            "give a file path such as .mlops/runs.db or a "
            "postgresql:// URL, or leave --store out to use the project's store",
        )
    if raw is None:
        return f"sqlite:///{env.project_root() / env.STORE_DIRNAME / 'runs.db'}"
    if "://" not in raw:
        return f"sqlite:///{Path(raw).expanduser().resolve()}"
    if raw.startswith("sqlite:///"):
        path = raw[len("sqlite:///") :]
        return f"sqlite:///{Path(path).expanduser().resolve()}" if path else raw
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix) :]
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
    return Path(url[len("sqlite:///") :]) if url.startswith("sqlite:///") else None


def default_blob_root(url: str) -> str:
    """Blobs sit beside a SQLite file; for a server store, MLOPS_JUPYTER_BLOBS or the project."""
    configured = env.get(env.BLOBS)
    if configured:
        return configured
    path = sqlite_path(url)
    if path is not None:
        return str(path.parent / "blobs")
    return str(env.project_root() / env.STORE_DIRNAME / "blobs")


def check_sqlite_file(path: Path) -> bool:
    """Make sure the folder can hold a store and that an existing file is a SQLite database.

    Returns whether the store must be opened read-only: an existing store in a folder that
    cannot be written (a read-only mount) can still be read.
    """
    from mlops_jupyter.errors import CorruptStoreError

    try:
        if path.is_dir():
            raise StoreUnavailableError(
                str(path),
                "it is a folder, not a store file",
                f"point --store or MLOPS_JUPYTER_STORE at a file, e.g. {path / 'runs.db'}",
            )
        exists = path.exists() and path.stat().st_size > 0
        if path.is_file() and not exists:
            _warn_if_emptied(path)
        if not exists or not path.parent.is_dir():
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                raise StoreUnavailableError(
                    str(path),
                    f"cannot create the folder {path.parent} ({err.strerror})",
                    "set MLOPS_JUPYTER_STORE or --store to a writable path",
                ) from err
        writable = os.access(path.parent, os.W_OK)
        if not writable and not exists:
            raise StoreUnavailableError(
                str(path),
                f"the folder {path.parent} is not writable",
                "fix its permissions, or set MLOPS_JUPYTER_STORE or --store to a writable path",
            )
        if exists:
            with open(path, "rb") as fh:
                if fh.read(16) != _SQLITE_HEADER:
                    raise CorruptStoreError(str(path), "it is not a SQLite database")
        return not writable
    except OSError as err:  # a dead disk or a vanished mount
        raise StoreUnavailableError(
            str(path),
            f"cannot read it ({err.strerror or err})",
            "the disk or filesystem "
            "holding the store failed or went away; check that it is mounted and healthy",
        ) from err


def _warn_if_emptied(path: Path) -> None:
    """A store file of 0 bytes opens as a new empty store; say so when it did not just get
    created (SQLite leaves a new file empty for an instant), since its runs may have been lost."""
    import warnings

    wal = path.with_name(path.name + "-wal")
    if time.time() - path.stat().st_mtime > 10 and not (wal.exists() and wal.stat().st_size):
        warnings.warn(
            f"mlops-jupyter: the store file {path} is empty (0 bytes), so it is "
            "opened as a new store with no runs; if it held runs, restore it from a "
            "backup",
            RuntimeWarning,
            stacklevel=2,
        )


def store_timeout() -> float:
    """Seconds a PostgreSQL connect or statement may take (MLOPS_JUPYTER_STORE_TIMEOUT)."""
    return max(1.0, env.get_float(env.STORE_TIMEOUT, 20.0))


def file_identity(path: Path | None) -> tuple[int, int] | None:
    """(device, inode) of a store file, None when it does not exist (to notice a replacement)."""
    if path is None:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _readonly_url(path: Path) -> str:
    """A URL that reads `path` without writing anything beside it. WAL needs its -shm file; when
    a clean shutdown removed it and the folder is read-only, read the file as immutable."""
    for flags in ("mode=ro", "immutable=1"):
        try:
            conn = sqlite3.connect(f"file:{path}?{flags}", uri=True)
            try:
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            finally:
                conn.close()
            return f"sqlite:///file:{path}?{flags}&uri=true"
        except sqlite3.Error:
            continue
    return f"sqlite:///file:{path}?mode=ro&uri=true"


def create_store_engines(url: str) -> tuple[Engine, Engine, bool]:
    """(reader, writer, read_only) engines. SQLite writers take the lock up front (BEGIN
    IMMEDIATE) so two writers never deadlock on a lock upgrade; readers never block in WAL mode.
    PostgreSQL connections get connect, keepalive and statement timeouts of
    MLOPS_JUPYTER_STORE_TIMEOUT seconds, so a hung server is reported instead of waited for."""
    if url.startswith("sqlite:///"):
        path = sqlite_path(url)
        assert path is not None
        read_only = check_sqlite_file(path)
        read_url = _readonly_url(path) if read_only else url
        reader = create_engine(read_url, poolclass=NullPool if _is_memory(url) else None)
        writer = create_engine(read_url)
        _configure_sqlite(reader, "BEGIN", read_only)
        _configure_sqlite(writer, "BEGIN IMMEDIATE", read_only)
        return reader, writer, read_only
    seconds = store_timeout()
    connect_args = {
        "connect_timeout": max(2, round(seconds)),
        "keepalives": 1,
        "keepalives_idle": max(1, round(seconds / 2)),
        "keepalives_interval": max(1, round(seconds / 4)),
        "keepalives_count": 3,
        "tcp_user_timeout": round(seconds * 1000),
        "options": f"-c statement_timeout={round(seconds * 1000)}",
    }
    try:
        engine = create_engine(
            url, pool_size=2, max_overflow=4, pool_timeout=seconds, connect_args=connect_args
        )
    except ImportError as err:
        raise StoreUnavailableError(
            display_url(url),
            "the PostgreSQL driver is not installed",
            "pip install 'mlops-jupyter[postgres]'",
        ) from err
    return engine, engine, False


def _is_memory(url: str) -> bool:
    return url in ("sqlite://", "sqlite:///:memory:")


def _configure_sqlite(engine: Engine, begin: str, read_only: bool = False) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA busy_timeout = 60000")
        if read_only:
            cur.close()
            return
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
