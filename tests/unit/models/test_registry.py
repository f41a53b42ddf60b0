"""The model registry in the store, on SQLite and on the real PostgreSQL server: numbered versions,
aliases, tags and descriptions, the promotion gate, the audit trail, and the 3 -> 4 migration."""

from __future__ import annotations

import re
import threading

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sqlalchemy import create_engine, insert

import mlops_jupyter as mj
from mlops_jupyter.errors import (
    ModelNotFoundError,
    ModelURIError,
    PromotionRefusedError,
    SchemaVersionError,
)
from mlops_jupyter.store import RunStore, migrations, schema

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "b": [1.0, 0.0, 1.0, 0.0]})
Y = [0, 1, 0, 1]


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path) -> RunStore:
    url = (
        str(tmp_path / "r.db")
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    return RunStore(url)


def _logged(store: RunStore, name: str = "m", status: str = "finished") -> str:
    run = mj.start_run(name=f"train-{name}", store=store)
    info = mj.log_model(LogisticRegression().fit(X, Y), name, input_example=X, run=run)
    run.end(status, error="ValueError: boom" if status == "failed" else None)
    return info.model_uri


def test_versions_number_aliases_resolve_and_everything_is_listed(store) -> None:
    first, second = _logged(store), _logged(store)
    v1 = mj.register_model(first, "churn", store=store, tags={"team": "a"}, description="d1")
    v2 = mj.register_model(second, "churn", store=store)
    assert (v1.version, v2.version) == (1, 2) and v1.tags == {"team": "a"}
    assert v2.source == second and v2.created_by
    event = mj.set_model_alias("churn", "champion", 1, store=store)
    assert (event.from_version, event.to_version, event.forced) == (None, 1, False)
    model = mj.load_model("models:/churn@champion", store=store)
    assert model.uri == "models:/churn@champion"
    assert list(model.predict(X)) == list(mj.load_model(first, store=store).predict(X))
    assert mj.load_model("models:/churn/2", native=True, store=store).predict(X).shape == (4,)
    assert mj.load_model("models:/churn/latest", store=store).metadata["run_id"] in second
    mj.set_model_tag("churn", "stage", "prod", version=2, store=store)
    mj.set_model_description("churn", "the churn model", store=store)
    frame = mj.models(store=store)
    row = frame.iloc[0]
    assert (row["name"], row["latest_version"], row["aliases"]) == ("churn", 2, {"champion": 1})
    assert row["description"] == "the churn model"
    versions = mj.model_versions("churn", store=store)
    assert [v.version for v in versions] == [2, 1] and versions[0].tags == {"stage": "prod"}
    assert versions[1].aliases == ("champion",)
    assert [v.version for v in store.model_versions_of_run(v1.run_id)] == [1]


def test_every_alias_move_is_recorded(store) -> None:
    for _ in range(3):
        mj.register_model(_logged(store), "m", store=store)
    mj.set_model_alias("m", "champion", 1, store=store)
    mj.set_model_alias("m", "champion", 3, store=store)
    mj.set_model_alias("m", "challenger", 2, store=store)
    mj.delete_model_alias("m", "champion", store=store)
    trail = [(e.alias, e.from_version, e.to_version) for e in mj.alias_history("m", store=store)]
    assert trail == [
        ("champion", None, 1),
        ("champion", 1, 3),
        ("challenger", None, 2),
        ("champion", 3, None),
    ]
    assert all(e.by_user and e.at > 0 for e in mj.alias_history("m", store=store))
    with pytest.raises(ModelNotFoundError, match=r"no alias 'champion'.*challenger"):
        mj.load_model("models:/m@champion", store=store)


def test_the_gate_refuses_failed_hidden_state_and_unreproduced_runs(store) -> None:
    mj.register_model(_logged(store, status="failed"), "g", store=store)  # 1: failed run
    hidden = mj.start_run(
        name="hidden",
        store=store,
        extra_provenance={
            "cell": {"hidden_state": True, "hidden_state_reason": "cell 3 ran before cell 2"}
        },
    )
    mj.log_model(LogisticRegression().fit(X, Y), "g", run=hidden)
    hidden.end()
    mj.register_model(f"runs:/{hidden.run_id}/g", "g", store=store)  # 2: hidden state
    v3 = mj.register_model(_logged(store), "g", store=store)  # 3: not reproduced
    store.set_tags(
        v3.run_id, {"mlops.reproduce.verdict": "not reproduced", "mlops.reproduce.differs": "acc"}
    )
    v4 = mj.register_model(_logged(store), "g", store=store)  # 4: clean
    reasons = {
        1: "is failed: ValueError: boom",
        2: "hidden state (cell 3 ran before cell 2)",
        3: "other results (metrics that differ: acc)",
    }
    for version, reason in reasons.items():
        with pytest.raises(
            PromotionRefusedError, match=rf"(?s)version {version}:.*{re.escape(reason)}.*force"
        ):
            mj.set_model_alias("g", "champion", version, store=store)
    assert mj.get_registered_model("g", store=store).aliases == {}
    forced = mj.set_model_alias("g", "champion", 2, force=True, store=store)
    assert forced.forced and "hidden state" in forced.reason
    clean = mj.set_model_alias("g", "champion", v4.version, store=store)
    assert (clean.from_version, clean.to_version, clean.forced) == (2, 4, False)
    assert [e.forced for e in mj.alias_history("g", store=store)] == [True, False]


def test_bad_names_and_uris_get_one_clear_error(store) -> None:
    uri = _logged(store)
    with pytest.raises(ModelURIError, match="starts with neither"):
        mj.load_model("s3://x", store=store)
    with pytest.raises(ModelURIError, match="version 'x' is not a number"):
        mj.load_model("models:/m/x", store=store)
    with pytest.raises(ModelNotFoundError, match="no registered model 'nope'"):
        mj.load_model("models:/nope/1", store=store)
    with pytest.raises(ModelNotFoundError, match="logged no model 'other'; it logged: m"):
        mj.register_model(uri.rsplit("/", 1)[0] + "/other", "x", store=store)
    mj.register_model(uri, "ok", store=store)
    with pytest.raises(ModelNotFoundError, match="has no version 7"):
        mj.set_model_alias("ok", "champion", 7, store=store)
    with pytest.raises(ValueError, match=r"'latest' and v1, v2, \.\.\. are reserved"):
        mj.set_model_alias("ok", "v2", 1, store=store)
    with pytest.raises(ValueError, match="model name 'a/b' is not allowed"):
        mj.register_model(uri, "a/b", store=store)


def test_concurrent_registrations_get_distinct_versions(store) -> None:
    uri = _logged(store)
    got: list[int] = []
    errors: list[BaseException] = []

    def register() -> None:
        try:
            for _ in range(4):
                got.append(mj.register_model(uri, "race", store=store).version)
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=register) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and sorted(got) == list(range(1, 17))


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_version_3_store_migrates_and_takes_models(backend, tmp_path, request) -> None:
    url = (
        str(tmp_path / "old.db") if backend == "sqlite" else request.getfixturevalue("postgres_url")
    )
    engine = create_engine(
        url.replace("postgresql://", "postgresql+psycopg://")
        if backend != "sqlite"
        else f"sqlite:///{url}"
    )
    with engine.begin() as conn:
        migrations.create_version(conn, 3)
        eid = conn.execute(insert(schema.experiments).values(name="old", created=1.0))
        conn.execute(
            insert(schema.runs).values(
                run_id="b" * 32,
                experiment_id=eid.inserted_primary_key[0],
                name="legacy",
                status="finished",
                start_time=1.0,
                end_time=2.0,
                updated_at=2.0,
            )
        )
    engine.dispose()
    with pytest.raises(SchemaVersionError, match="version 3"):
        RunStore(url)
    store = RunStore(url, migrate=True)
    assert store.get_run("b" * 32).name == "legacy" and store.list_registered_models() == []
    version = mj.register_model(_logged(store), "after", store=store)
    assert version.version == 1
    assert np.asarray(mj.load_model("models:/after/1", store=store).predict(X)).shape == (4,)
