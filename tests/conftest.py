"""Shared fixtures: a fresh SQLite store per test, and a real PostgreSQL server on 127.0.0.1."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Iterator

import pytest


@pytest.fixture(autouse=True)
def _hermetic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test gets its own project folder and store; no test sees another's runs."""
    for name in ("MLOPS_JUPYTER_STORE", "MLOPS_JUPYTER_BLOBS", "MLOPS_JUPYTER_PARENT_RUN",
                 "MLOPS_JUPYTER_EXPERIMENT"):
        monkeypatch.delenv(name, raising=False)
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.chdir(project)
    monkeypatch.setenv("MLOPS_JUPYTER_STORE", str(project / ".mlops" / "runs.db"))
    yield
    from mlops_jupyter import tracking

    for run in list(tracking._context.stack):  # a failing test must not leak an active run
        run.end("killed")


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    """A SQLite store path of its own."""
    return str(tmp_path / "store" / "runs.db")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        pytest.fail("no PostgreSQL server found: run ./scripts/test, which installs it with apt")
    return Path(found[-1]).parent


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A throwaway PostgreSQL cluster on 127.0.0.1 (one per test worker); yields its base URL."""
    if os.environ.get("MLOPS_TEST_POSTGRES_URL"):
        yield os.environ["MLOPS_TEST_POSTGRES_URL"].rstrip("/")
        return
    bindir, port = _pg_bin(), _free_port()
    data = Path(tempfile.mkdtemp(prefix="mlops-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        shutil.chown(data, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    subprocess.run([*as_user, str(bindir / "initdb"), "-D", str(data / "db"), "-A", "trust",
                    "-U", "postgres", "--no-sync"], check=True, capture_output=True)
    subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data / "db"), "-w", "-l",
                    str(data / "log"), "-o", f"-p {port} -c listen_addresses=127.0.0.1 "
                    f"-k {data} -c fsync=off -c max_connections=200", "start"],
                   check=True, capture_output=True)
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data / "db"), "-m", "fast",
                        "stop"], capture_output=True)
        shutil.rmtree(data, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: str) -> str:
    """A new empty database on the test server."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    for attempt in range(50):
        try:
            with psycopg.connect(f"{postgres_server}/postgres", autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            break
        except psycopg.OperationalError:
            time.sleep(0.1)
    return f"{postgres_server}/{name}"
