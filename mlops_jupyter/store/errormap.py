"""Driver errors to messages naming the real cause: full disk, dead disk, bad input, corruption.

A store is called corrupt only when the database says so and, for SQLite, ``PRAGMA
quick_check`` confirms it: a failing disk or a full one reports "malformed" too, and telling the
user to move a healthy store away is the worst advice there is.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.exc import DataError, ProgrammingError

from mlops_jupyter.errors import (
    CorruptStoreError,
    MlopsJupyterError,
    StoreInputError,
    StoreUnavailableError,
)

_INPUT_FIX = (
    "change the value or the query (shorter text, numbers within 64-bit range, "
    "a simpler filter); the store is fine"
)
#: SQLite/PostgreSQL messages that mean "this input is too big or out of range".
_INPUT_SIGNS = (
    "expression tree is too large",
    "like or glob pattern too complex",
    "too many sql variables",
    "string or blob too big",
    "too many terms",
    "stack depth limit exceeded",
    "out of range",
    "too large to convert",
    "too long",
    "nul (0x00)",
    "must not be negative",
    "parser stack overflow",
)


def timeout_error(location: str, seconds: float) -> StoreUnavailableError:
    """The error for a database server that did not answer in time."""
    return StoreUnavailableError(
        location,
        f"the database server did not answer within {seconds:g} s (MLOPS_JUPYTER_STORE_TIMEOUT)",
        "check that the server is running and reachable; "
        "raise MLOPS_JUPYTER_STORE_TIMEOUT if it is only slow",
    )


def map_database_error(
    location: str, path: Path | None, reason: str, err: BaseException
) -> MlopsJupyterError:
    """The mlops-jupyter error for a driver error `err` whose first line is `reason`."""
    low = reason.lower()
    if isinstance(err, DataError) or any(sign in low for sign in _INPUT_SIGNS):
        return StoreInputError(location, reason, _INPUT_FIX)
    if "timeout expired" in low:  # libpq's connect_timeout
        return StoreUnavailableError(
            location,
            f"{reason} (MLOPS_JUPYTER_STORE_TIMEOUT)",
            "check that the database "
            "server is running and reachable, and that the URL in MLOPS_JUPYTER_STORE or "
            "--store is right",
        )
    if "statement timeout" in low:
        return StoreUnavailableError(
            location,
            f"{reason} (MLOPS_JUPYTER_STORE_TIMEOUT)",
            "the server is overloaded or a lock is held; raise MLOPS_JUPYTER_STORE_TIMEOUT",
        )
    if "disk is full" in low or "no space left" in low:
        where = f"the disk holding {path.parent}" if path else "the database server's disk"
        return StoreUnavailableError(
            location,
            reason,
            f"free space on {where} (df -h), then try again; what was already recorded is kept",
        )
    if "disk i/o error" in low or "input/output error" in low:
        return _disk_error(location, reason)
    if "readonly" in low or "read-only" in low or "unable to open" in low:
        return StoreUnavailableError(
            location,
            reason,
            "make the store file and its folder writable, or set "
            "MLOPS_JUPYTER_STORE or --store to a writable path",
        )
    if path is not None and ("malformed" in low or "not a database" in low or "corrupt" in low):
        verdict = quick_check(path)
        if verdict == "ok":
            return StoreUnavailableError(
                location,
                f"{reason}, yet PRAGMA quick_check finds the file intact",
                "the error came from the disk or the filesystem (check that it is mounted and "
                "healthy); try again, the store was left untouched",
            )
        if verdict.startswith("unreadable"):
            return _disk_error(location, f"{reason}; {verdict}")
        return CorruptStoreError(location, f"{reason}; PRAGMA quick_check: {verdict}")
    if path is None and isinstance(err, ProgrammingError):  # missing table or column
        return CorruptStoreError(location, reason)
    return StoreUnavailableError(
        location,
        reason,
        "check that the database server is running and the URL in "
        "MLOPS_JUPYTER_STORE or --store is right"
        if path is None
        else "check that the file and the disk holding it are available",
    )


def _disk_error(location: str, reason: str) -> StoreUnavailableError:
    return StoreUnavailableError(
        location,
        reason,
        "the disk or filesystem holding the store failed or went away "
        "(check that it is mounted and healthy, e.g. dmesg); this is not a sign of a corrupt "
        "store, what was committed is kept",
    )


def quick_check(path: Path) -> str:
    """ "ok", the first problem PRAGMA quick_check reports, or "unreadable (...)" when the
    file cannot be read at all (a dead disk)."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            rows = conn.execute("PRAGMA quick_check(5)").fetchall()
        finally:
            conn.close()
    except sqlite3.DatabaseError as err:
        text = str(err)
        if "i/o" in text.lower() or "unable to open" in text.lower():
            return f"unreadable ({text})"
        return text
    except OSError as err:
        return f"unreadable ({err.strerror or err})"
    found = "; ".join(str(r[0]) for r in rows)
    return "ok" if found == "ok" else found
