"""Promotion of a gated run's model into the registry: what `check-metrics --promote` (CT's
step) does when the metric gate passes, so the champion alias moves through the promotion gate."""

from __future__ import annotations

from mlops_jupyter.models import bundle
from mlops_jupyter.models.loading import resolve, store_of
from mlops_jupyter.models.registry import register_model, set_model_alias
from mlops_jupyter.models.uris import run_uri
from mlops_jupyter.store import RunStore
from mlops_jupyter.store.model_records import ModelVersionRecord


def logged_model_uri(store: RunStore, run_id: str) -> str | None:
    """The URI of the last model `run_id` logged, else the last one its child runs logged (a
    notebook run's `%%track` cells), else None."""
    record = store.get_run(run_id)
    children = store.search_runs(
        filter=f"parent_run_id == {record.run_id!r}", order_by="start_time", details=False
    )
    for candidate in [record, *(store.get_run(c.run_id) for c in reversed(children))]:
        names = bundle.models_of(candidate)
        if names:
            return run_uri(candidate.run_id, names[-1])
    return None


def register_run_model(
    run_id: str, name: str, *, store: RunStore | str | None = None
) -> ModelVersionRecord | None:
    """Register the model `run_id` (or its last child that logged one) produced as the next
    version of `name`, unless that very model already is a version of `name` (then that one):
    CT's ``python -m PKG --register NAME`` and its ``check-metrics --promote`` register it once.

    Returns:
        The version, or None when the run logged no model (nothing is registered).
    """
    opened = store_of(store)
    uri = logged_model_uri(opened, run_id)
    if uri is None:
        return None
    where = resolve(uri, opened)
    for version in opened.model_versions_of_run(where.run_id):
        if version.name == name and version.model_path == where.path:
            return version
    return register_model(uri, name, store=opened)


def promote_run_model(
    run_id: str, name: str, alias: str, *, store: RunStore | str | None = None
) -> ModelVersionRecord | None:
    """Register the model `run_id` (or its last child that logged one) produced as the next
    version of `name` (`register_run_model`), and point `alias` at it through the promotion
    gate.

    Returns:
        The new version, or None when the run logged no model (nothing is registered).

    Raises:
        PromotionRefusedError: the gate refused the version (failed run, hidden state, failed
            reproduce); the version stays registered, the alias where it was.
    """
    opened = store_of(store)
    version = register_run_model(run_id, name, store=opened)
    if version is None:
        return None
    set_model_alias(name, alias, version.version, store=opened)
    return version
