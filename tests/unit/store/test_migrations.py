"""Stores of every older schema version upgrade with their data; newer ones are refused."""

from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy import Engine, create_engine, insert, inspect, text, update

from mlops_jupyter.errors import SchemaVersionError
from mlops_jupyter.store import RunStore, docs, migrations, schema


def _engine(url: str) -> Engine:
    return create_engine(
        url.replace("postgresql://", "postgresql+psycopg://")
        if url.startswith("postgresql://")
        else f"sqlite:///{url}"
    )


def _old_store(url: str, version: int) -> None:
    engine = _engine(url)
    with engine.begin() as conn:
        migrations.create_version(conn, version)
        if version == 5:  # the index version 6 replaces, as a real version-5 store has it
            conn.execute(text("CREATE INDEX ix_runs_parent ON runs (parent_run_id)"))
        experiment_id = conn.execute(
            insert(schema.experiments).values(name="old", created=1.0)
        ).inserted_primary_key[0]
        conn.execute(
            insert(schema.runs).values(
                run_id="a" * 32,
                experiment_id=experiment_id,
                name="legacy",
                status="finished",
                start_time=1.0,
                end_time=2.0,
                updated_at=2.0,
            )
        )
        conn.execute(
            insert(schema.metrics),
            [
                {"run_id": "a" * 32, "key": "loss", "step": s, "value": v, "timestamp": 1.0}
                for s, v in ((0, 0.9), (1, 0.5), (2, 0.2))
            ],
        )
        if version >= 2:  # as a real version-2 store would hold it
            conn.execute(
                insert(schema.latest_metrics).values(
                    run_id="a" * 32, key="loss", step=2, value=0.2, timestamp=1.0
                )
            )
        if version >= 3:  # a real version-3 store keeps each run's documents up to date
            docs.rebuild(conn, ["a" * 32], params=True, tags=True)
            docs.refresh_metrics(conn, ["a" * 32], 1.0)
    engine.dispose()


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
@pytest.mark.parametrize("version", sorted(migrations.MIGRATIONS))
def test_every_older_version_migrates_with_its_data(backend, version, tmp_path, request) -> None:
    url = (
        str(tmp_path / "old.db") if backend == "sqlite" else request.getfixturevalue("postgres_url")
    )
    _old_store(url, version)
    with pytest.raises(SchemaVersionError, match=f"version {version}.*store migrate"):
        RunStore(url)
    store = RunStore(url, migrate=True)
    assert store.schema_version() == schema.SCHEMA_VERSION
    record = store.get_run("a" * 32)
    assert record.name == "legacy" and record.metrics == {"loss": 0.2}
    assert [p.value for p in store.metric_history(record.run_id, "loss")] == [0.9, 0.5, 0.2]
    store.create_run(name="new")  # and it takes new runs
    assert store.count_runs() == 2
    engine = _engine(url)
    indexes = {index["name"] for index in inspect(engine).get_indexes("runs")}
    engine.dispose()
    assert "ix_runs_parent_live" in indexes and "ix_runs_parent" not in indexes


def test_store_migrate_command(tmp_path) -> None:
    path = tmp_path / "old.db"
    _old_store(str(path), 1)
    cmd = [sys.executable, "-m", "mlops_jupyter.cli", "--store", str(path)]
    refused = subprocess.run([*cmd, "runs", "ls"], capture_output=True, text=True)
    assert refused.returncode == 2 and "run `mlops-jupyter store migrate`" in refused.stderr
    done = subprocess.run([*cmd, "store", "migrate"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert f"schema version {schema.SCHEMA_VERSION}" in done.stdout
    listed = subprocess.run([*cmd, "runs", "ls"], capture_output=True, text=True)
    assert "legacy" in listed.stdout


def test_a_newer_store_is_refused_untouched(tmp_path) -> None:
    path = tmp_path / "new.db"
    RunStore(str(path)).dispose()
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(update(schema.schema_info).values(value="99"))
    with pytest.raises(SchemaVersionError, match=r"version 99.*upgrade mlops-jupyter"):
        RunStore(str(path), migrate=True)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT value FROM mlops_schema_info")).scalar() == "99"
