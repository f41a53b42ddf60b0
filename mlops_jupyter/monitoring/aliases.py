"""``models:/NAME@ALIAS`` baselines: the run that produced the version the model registry's
alias points at, else the run holding the alias as a run tag.

The run tag (``alias.NAME`` = ALIAS) serves runs that register no model, such as the CT
workflow's notebook runs: `check-metrics --promote` moves it (the former holder keeps
``was ALIAS``). When the registry knows the alias, the registry wins.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from mlops_jupyter.errors import InvalidBaselineError, ModelNotFoundError

if TYPE_CHECKING:
    from mlops_jupyter.store import RunStore

MODEL_PREFIX = "models:/"
ALIAS_TAG_PREFIX = "alias."
_REF = re.compile(r"models:/(?P<name>[A-Za-z0-9_.-]+)@(?P<alias>[A-Za-z0-9_.-]+)")


def parse_model_ref(text: str) -> tuple[str, str]:
    """(NAME, ALIAS) of ``models:/NAME@ALIAS``.

    Raises:
        InvalidBaselineError: not of that form.
    """
    found = _REF.fullmatch(text)
    if found is None:
        raise InvalidBaselineError(
            text, "a model reference is models:/NAME@ALIAS (letters, digits, _ . -)"
        )
    return found["name"], found["alias"]


def registry_run(store: RunStore, name: str, alias: str) -> str | None:
    """The run that produced the version the registry's `alias` of `name` points at, or None
    when the registry has no such model or alias. A model logged by a `%%track` cell of an
    executed notebook lives in a child run: the notebook's run (its parent, which holds the
    rolled-up metrics and every child's tables) is the one to compare with."""
    try:
        version = store.alias_version(name, alias)
    except ModelNotFoundError:
        return None
    logged_by = store.get_run(store.get_model_version(name, version).run_id)
    return logged_by.parent_run_id or logged_by.run_id


def alias_run(store: RunStore, name: str, alias: str) -> str | None:
    """The id of the run holding alias `alias` of model `name` as a run tag, if any does."""
    key = f"{ALIAS_TAG_PREFIX}{name}"
    found = store.search_runs(
        filter=f"tags[{key!r}] == {alias!r}", order_by="start_time DESC", limit=1, details=False
    )
    return found[0].run_id if found else None


def set_alias(store: RunStore, run_id: str, name: str, alias: str) -> str | None:
    """Give run `run_id` the alias; returns the run that held it before (now ``was ALIAS``)."""
    key = f"{ALIAS_TAG_PREFIX}{name}"
    former = alias_run(store, name, alias)
    for run in store.search_runs(filter=f"tags[{key!r}] == {alias!r}", details=False):
        if run.run_id != run_id:
            store.set_tags(run.run_id, {key: f"was {alias}"})
    store.set_tags(run_id, {key: alias})
    return former
