"""A run's note and user tags as people edit them afterwards (run page, CLI): the one rule for
which tags are the system's (`mlops.*`, read-only) and where a note lives (the `mlops.note` tag)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mlops_jupyter.errors import InvalidArgumentError, SystemTagError

if TYPE_CHECKING:
    from mlops_jupyter.store import RunStore

#: Tags under this prefix are recorded by mlops-jupyter (kind, attempts, sweep, reproduce...).
SYSTEM_PREFIX = "mlops."
#: The run's free-text note (Markdown or plain text), shown and edited on the run page.
NOTE_TAG = "mlops.note"
#: Longest note: a tag value (store/limits.py TAG_VALUE_MAX, MLflow's limit too).
NOTE_MAX_CHARS = 8000


def is_system_tag(key: str) -> bool:
    """True for the tags mlops-jupyter records itself; the run page shows them apart."""
    return key.startswith(SYSTEM_PREFIX)


def set_note(store: RunStore, run_id: str, text: str) -> None:
    """Replace the run's note with `text` (an empty or blank text removes it).

    Raises:
        InvalidArgumentError: text that is not a string or is longer than NOTE_MAX_CHARS.
        RunNotFoundError: no such run.
    """
    if not isinstance(text, str):
        raise InvalidArgumentError(f"a note must be text, not {type(text).__name__}")
    if len(text) > NOTE_MAX_CHARS:
        raise InvalidArgumentError(
            f"the note has {len(text)} characters; the limit is {NOTE_MAX_CHARS}: "
            "keep longer text in an artifact (run.log_text) and link it from the note"
        )
    if text.strip():
        store.edit_tags(run_id, {NOTE_TAG: text}, ())
    else:
        store.edit_tags(run_id, {}, (NOTE_TAG,))


def edit_user_tags(
    store: RunStore, run_id: str, tags: Mapping[str, Any], remove: Sequence[str] = ()
) -> None:
    """Set `tags` and delete `remove` on a run in one transaction, refusing any `mlops.*` key
    (so a user edit can never forge a sweep, a reproduce verdict or a gate).

    Raises:
        SystemTagError: a key under SYSTEM_PREFIX, set or removed.
        InvalidArgumentError: an empty or non-string key.
        ValueLimitError: a key or value over the store's limits.
        RunNotFoundError: no such run.
    """
    for key in [*tags, *remove]:
        if not isinstance(key, str) or not key.strip():
            raise InvalidArgumentError(f"bad tag key {key!r}; expected a non-empty string")
        if is_system_tag(key):
            raise SystemTagError(key)
    store.edit_tags(run_id, {k: "" if v is None else str(v) for k, v in tags.items()}, remove)
