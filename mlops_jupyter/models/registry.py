"""The model registry in the run store (SQLite or PostgreSQL, no server): numbered versions,
aliases behind the promotion gate with an audit trail, tags and descriptions."""

from __future__ import annotations

import getpass
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from mlops_jupyter.errors import PromotionRefusedError
from mlops_jupyter.models import bundle, gate
from mlops_jupyter.models.loading import resolve, store_of
from mlops_jupyter.models.uris import check_alias, check_name, run_uri
from mlops_jupyter.store import RunStore
from mlops_jupyter.store.model_records import (
    AliasEventRecord,
    ModelVersionRecord,
    RegisteredModelRecord,
)

if TYPE_CHECKING:
    import pandas as pd

Store = RunStore | str | None


def current_user() -> str | None:
    """Who moves an alias, for the audit trail (the login name)."""
    try:
        return getpass.getuser()
    except Exception:
        return None


def register_model(
    model_uri: str,
    name: str,
    *,
    tags: Mapping[str, Any] | None = None,
    description: str | None = None,
    store: Store = None,
) -> ModelVersionRecord:
    """Register the model at `model_uri` as the next version of `name` (1, 2, ...).

    Raises:
        ModelNotFoundError: the URI names no logged model.
    """
    check_name(name)
    opened = store_of(store)
    where = resolve(model_uri, opened)
    bundle.read_document(opened, opened.get_run(where.run_id), where.path)  # it exists
    return opened.create_model_version(
        name,
        where.run_id,
        where.path,
        run_uri(where.run_id, where.path),
        created_by=current_user(),
        description=description,
        tags=tags,
    )


def set_model_alias(
    name: str, alias: str, version: int, *, force: bool = False, store: Store = None
) -> AliasEventRecord:
    """Point `alias` (e.g. ``champion``) at `version`, through the promotion gate.

    Raises:
        PromotionRefusedError: the version's run failed, ran on hidden state, or did not
            reproduce (the reasons are in the message); ``force=True`` moves it anyway and
            records that it was forced, and why the gate objected.
    """
    check_alias(alias)
    opened = store_of(store)
    record = opened.get_model_version(name, int(version))
    reasons = gate.refusals(opened, record)
    if reasons and not force:
        raise PromotionRefusedError(
            f"not moving {name}@{alias} to version {version}: "
            + "; ".join(reasons)
            + ". Fix the run (or re-run it cleanly and register that), or pass force=True "
            "(CLI: --force) to move it anyway; the move is recorded as forced"
        )
    return opened.move_alias(
        name,
        alias,
        int(version),
        by_user=current_user(),
        forced=bool(reasons),
        reason="; ".join(reasons) or None,
    )


def delete_model_alias(name: str, alias: str, *, store: Store = None) -> AliasEventRecord:
    """Remove `alias` from model `name` (recorded in the audit trail)."""
    opened = store_of(store)
    opened.alias_version(name, alias)  # it exists
    return opened.move_alias(name, alias, None, by_user=current_user())


def get_model_version(name: str, version: int, *, store: Store = None) -> ModelVersionRecord:
    """One registered version."""
    return store_of(store).get_model_version(name, int(version))


def get_registered_model(name: str, *, store: Store = None) -> RegisteredModelRecord:
    """One registered model with its aliases and tags."""
    return store_of(store).get_registered_model(name)


def model_versions(name: str, *, store: Store = None) -> list[ModelVersionRecord]:
    """The versions of model `name`, newest first."""
    opened = store_of(store)
    opened.get_registered_model(name)
    return opened.list_model_versions(name)


def alias_history(name: str | None = None, *, store: Store = None) -> list[AliasEventRecord]:
    """Every alias move of `name` (or of every model), oldest first: the audit trail."""
    return store_of(store).alias_events(name)


def set_model_tag(
    name: str, key: str, value: Any, *, version: int | None = None, store: Store = None
) -> None:
    """Tag model `name`, or one of its versions."""
    store_of(store).set_model_tags(name, int(version or 0), {key: value})


def delete_model_tag(
    name: str, key: str, *, version: int | None = None, store: Store = None
) -> None:
    """Remove a tag from model `name`, or from one of its versions."""
    store_of(store).delete_model_tag(name, int(version or 0), key)


def set_model_description(
    name: str, description: str | None, *, version: int | None = None, store: Store = None
) -> None:
    """Describe model `name`, or one of its versions."""
    store_of(store).set_model_description(name, int(version or 0), description)


def models(*, store: Store = None) -> pd.DataFrame:
    """The registered models as a DataFrame: name, latest_version, aliases, description, tags,
    created and updated (as times)."""
    import pandas as pd

    rows = [
        {
            "name": m.name,
            "latest_version": m.latest_version,
            "aliases": dict(m.aliases),
            "description": m.description,
            "tags": dict(m.tags),
            "created": pd.Timestamp(m.created, unit="s"),
            "updated": pd.Timestamp(m.updated, unit="s"),
        }
        for m in store_of(store).list_registered_models()
    ]
    columns = ["name", "latest_version", "aliases", "description", "tags", "created", "updated"]
    return pd.DataFrame(rows, columns=columns)
