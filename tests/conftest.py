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
    from mlops_jupyter.tracking import run as tracking

    for run in tracking.open_runs():  # a failing test must not leak an open run
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


class PostgresCluster:
    """A throwaway PostgreSQL cluster on 127.0.0.1 that a test can stop and start again."""

    def __init__(self) -> None:
        self.bindir, self.port = _pg_bin(), _free_port()
        self.data = Path(tempfile.mkdtemp(prefix="mlops-pg-"))
        self.as_user: list[str] = []
        if os.geteuid() == 0:  # initdb refuses to run as root
            shutil.chown(self.data, "postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]
        subprocess.run([*self.as_user, str(self.bindir / "initdb"), "-D", str(self.data / "db"),
                        "-A", "trust", "-U", "postgres", "--no-sync"],
                       check=True, capture_output=True)
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}"

    def _ctl(self, *args: str) -> None:
        subprocess.run([*self.as_user, str(self.bindir / "pg_ctl"), "-D", str(self.data / "db"),
                        *args], check=True, capture_output=True)

    def start(self) -> None:
        self._ctl("-w", "-l", str(self.data / "log"), "-o",
                  f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data} -c fsync=off "
                  "-c max_connections=200", "start")

    def stop(self) -> None:
        self._ctl("-m", "immediate", "-w", "stop")

    def remove(self) -> None:
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.data, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A PostgreSQL server on 127.0.0.1 (one per test worker); yields its base URL."""
    if os.environ.get("MLOPS_TEST_POSTGRES_URL"):
        yield os.environ["MLOPS_TEST_POSTGRES_URL"].rstrip("/")
        return
    cluster = PostgresCluster()
    cluster.start()
    try:
        yield cluster.url
    finally:
        cluster.remove()


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
