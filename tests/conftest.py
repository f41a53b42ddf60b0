"""Shared fixtures and the tier rule: markers by folder, a fresh store per test, real PostgreSQL.

Where a test goes and which marker it gets is written down in tests/README.md; this module
applies it (`pytest_collection_modifyitems`) so `-m "not kernel"` and friends select by folder.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
CHECKOUT = TESTS.parent
#: tier folder -> the marker every test under it gets
TIERS = {
    "unit": "unit",
    "kernel": "kernel",
    "server": "server",
    "browser": "browser",
    "load": "load",
}
#: tiers whose tests sit in a feature sub-folder, and the features (the package's folders)
FEATURE_TIERS = {"unit", "kernel"}
FEATURES = {
    "store",
    "tracking",
    "notebook",
    "execution",
    "convert",
    "magics",
    "cli",
    "models",
    "monitoring",
}


def tier_of(path: Path) -> tuple[str, str | None]:
    """(tier, feature) of a test file under tests/, e.g. ("unit", "store").

    Raises:
        pytest.UsageError: the file is not where tests/README.md says tests go.
    """
    parts = path.resolve().relative_to(TESTS).parts
    tier = parts[0] if len(parts) > 1 else ""
    if tier not in TIERS:
        raise pytest.UsageError(
            f"{path}: a test file must live in tests/<tier>/ with tier one of "
            f"{', '.join(sorted(TIERS))}; see tests/README.md"
        )
    if tier not in FEATURE_TIERS:
        return tier, None
    feature = parts[1] if len(parts) > 2 else ""
    if feature not in FEATURES:
        raise pytest.UsageError(
            f"{path}: a {tier} test must live in tests/{tier}/<feature>/ with "
            f"feature one of {', '.join(sorted(FEATURES))}; see "
            "tests/README.md"
        )
    return tier, feature


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test by its folder: tests/kernel/** gets `kernel`, tests/unit/** `unit`, ..."""
    for item in items:
        tier, _ = tier_of(item.path)
        item.add_marker(TIERS[tier])


@pytest.fixture(autouse=True)
def _no_kernels_outside_the_kernel_tiers(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A unit test that starts a kernel fails, naming the folder it belongs in.

    (In-process kernel starts only; a subprocess that starts one is not seen here.)
    """
    tier, feature = tier_of(request.node.path)
    if tier != "unit":
        return
    from jupyter_client.manager import KernelManager

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(
            f"a unit test started a kernel; move it to tests/kernel/{feature}/ "
            "(see tests/README.md)"
        )

    monkeypatch.setattr(KernelManager, "_async_pre_start_kernel", refuse)


@pytest.fixture(autouse=True)
def _subprocesses_import_this_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Kernels and subprocesses inherit os.environ: make `import mlops_jupyter` in them load
    this checkout (not another install), and keep matplotlib headless."""
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if str(CHECKOUT) not in paths:
        monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(CHECKOUT), *paths]))
    monkeypatch.setenv("MPLBACKEND", "Agg")


@pytest.fixture(autouse=True)
def _hermetic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test gets its own project folder and store; no test sees another's runs."""
    for name in (
        "MLOPS_JUPYTER_STORE",
        "MLOPS_JUPYTER_BLOBS",
        "MLOPS_JUPYTER_PARENT_RUN",
        "MLOPS_JUPYTER_EXPERIMENT",
    ):
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
        subprocess.run(
            [
                *self.as_user,
                str(self.bindir / "initdb"),
                "-D",
                str(self.data / "db"),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
        )
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}"

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            [*self.as_user, str(self.bindir / "pg_ctl"), "-D", str(self.data / "db"), *args],
            check=True,
            capture_output=True,
        )

    def start(self) -> None:
        self._ctl(
            "-w",
            "-l",
            str(self.data / "log"),
            "-o",
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data} -c fsync=off "
            "-c max_connections=200",
            "start",
        )

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
    for _attempt in range(50):
        try:
            with psycopg.connect(f"{postgres_server}/postgres", autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            break
        except psycopg.OperationalError:
            time.sleep(0.1)
    return f"{postgres_server}/{name}"
