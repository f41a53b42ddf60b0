"""The store the unit tests of store/ share: a fresh one on SQLite and on the real PostgreSQL."""

from __future__ import annotations

import pytest

from mlops_jupyter.store import RunStore


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path) -> RunStore:
    if request.param == "sqlite":
        url = str(tmp_path / "s" / "runs.db")
    else:
        url = request.getfixturevalue("postgres_url")
    opened = RunStore(url, blob_root=str(tmp_path / "blobs"))
    yield opened
    opened.dispose()
