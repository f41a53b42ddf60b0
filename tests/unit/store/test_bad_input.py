"""Bad input gets one clear message naming the problem and the fix; nothing stored is lost."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import mlops_jupyter as mj
from mlops_jupyter.errors import CorruptStoreError, StoreUnavailableError, UnsupportedStoreURLError
from mlops_jupyter.store import RunStore


def cli(*args: str, store: str | None = None) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "mlops_jupyter.cli", *(["--store", store] if store else []), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


@contextmanager
def unwritable(*paths: Path) -> Iterator[None]:
    """Make paths unwritable even for root (immutable flag), else by permissions."""
    root = os.geteuid() == 0
    for path in paths:
        if root:
            subprocess.run(["chattr", "+i", str(path)], check=True)
        else:
            path.chmod(0o555 if path.is_dir() else 0o444)
    try:
        yield
    finally:
        for path in paths:
            if root:
                subprocess.run(["chattr", "-i", str(path)], check=True)
            else:
                path.chmod(0o755 if path.is_dir() else 0o644)


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    bogus = tmp_path / "runs.db"
    bogus.write_bytes(b"this is a csv file, not sqlite\n" * 10)
    with pytest.raises(CorruptStoreError, match=r"not a SQLite database.*left untouched"):
        RunStore(str(bogus))
    assert bogus.read_bytes().startswith(b"this is a csv")
    done = cli("runs", "ls", store=str(bogus))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "not a usable mlops-jupyter store" in done.stderr


def test_a_damaged_database(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    store = RunStore(str(path))
    store.create_run(name="precious")
    store.dispose()
    data = bytearray(path.read_bytes())
    data[100:4000] = b"\xff" * 3900  # wreck the schema page, keep the header
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptStoreError, match="is not a usable mlops-jupyter store"):
        RunStore(str(path))


def test_a_foreign_sqlite_database(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE users (id INTEGER, email TEXT)")
        conn.execute("INSERT INTO users VALUES (1, 'a@b.c')")
    with pytest.raises(CorruptStoreError, match="tables of another application: users"):
        RunStore(str(path))
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT email FROM users").fetchall() == [("a@b.c",)]
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["users"]


def test_unknown_run_id_in_the_cli(store_url: str) -> None:
    done = cli("runs", "show", "deadbeef", store=store_url)
    assert done.returncode == 2
    assert (
        done.stderr == "error: no run with id 'deadbeef'; list runs with `mlops-jupyter runs ls`\n"
    )


def test_filter_syntax_error_in_the_cli(store_url: str) -> None:
    done = cli("runs", "ls", "--filter", "metrics.acc >", store=store_url)
    assert done.returncode == 2
    assert "bad filter 'metrics.acc >': syntax error" in done.stderr
    assert "Traceback" not in done.stderr


def test_non_numeric_metric_keeps_what_was_logged() -> None:
    with mj.start_run() as run:
        run.log_metric("acc", 0.5)
        with pytest.raises(ValueError, match="metric 'acc' must be a number, got str 'high'"):
            run.log_metric("acc", "high")
    assert mj.get_run(run.run_id).metrics == {"acc": 0.5}


def test_unwritable_store_folder(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    with unwritable(folder):
        with pytest.raises(StoreUnavailableError, match=r"not writable.*MLOPS_JUPYTER_STORE"):
            RunStore(str(folder / "runs.db"))
        done = cli("runs", "ls", store=str(folder / "runs.db"))
    assert done.returncode == 2 and "is not writable" in done.stderr


def test_store_that_becomes_unwritable_keeps_its_runs(tmp_path: Path) -> None:
    folder = tmp_path / "s"
    store = RunStore(str(folder / "runs.db"))
    run_id = store.create_run(name="kept", params={"a": 1})
    store.dispose()
    files = [p for p in folder.iterdir() if p.is_file()]
    with unwritable(folder, *files), pytest.raises(StoreUnavailableError, match="writable"):
        locked = RunStore(str(folder / "runs.db"))
        locked.create_run(name="refused")
    assert RunStore(str(folder / "runs.db")).get_run(run_id).params == {"a": 1}


@pytest.mark.parametrize("url", ["mysql://u@h/db", "http://example.org/store", "s3://b/runs.db"])
def test_unsupported_store_url(url: str) -> None:
    with pytest.raises(UnsupportedStoreURLError, match=r"unsupported store URL.*'postgresql://'"):
        RunStore(url)
    done = cli("store", "info", store=url)
    assert done.returncode == 2 and "unsupported store URL" in done.stderr


def test_postgres_server_not_running() -> None:
    with pytest.raises(StoreUnavailableError, match="check that the database server is running"):
        RunStore("postgresql://nobody@127.0.0.1:1/none")


def test_cli_without_a_command_shows_help() -> None:
    done = cli()
    assert done.returncode == 2 and "runs" in done.stdout
