"""GET /keys: the keys the filter box completes, and the "did you mean" check of a filter.

The distinct-key query scans the key tables, so its answer is kept for a few seconds per store:
the panel polls and every filter that matches nothing is checked against it.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from tornado import web

from mlops_jupyter.errors import InvalidFilterError
from mlops_jupyter.server.base_handler import BaseHandler
from mlops_jupyter.store import filter_keys, filters

#: Seconds a store's keys are reused before they are read again.
KEYS_TTL = 5.0

_cache: dict[int, tuple[float, dict[str, list[str]]]] = {}
_lock = threading.Lock()


def store_keys(store: Any) -> dict[str, list[str]]:
    """The store's keys, read at most every KEYS_TTL seconds."""
    now = time.monotonic()
    with _lock:
        hit = _cache.get(id(store))
        if hit and now - hit[0] < KEYS_TTL:
            return hit[1]
    keys = store.known_keys()
    with _lock:
        _cache[id(store)] = (now, keys)
    return keys


def forget_keys(store: Any) -> None:
    """Drop the cached keys (after a write that adds keys the next check must see)."""
    with _lock:
        _cache.pop(id(store), None)


def explain_filter(store: Any, expression: str, error: InvalidFilterError | None = None) -> None:
    """Raise the "unknown metric 'x'; did you mean 'y'?" error for a filter that failed or matched
    nothing because it names a key no run has; otherwise re-raise `error` (if any)."""
    better = _unknown(store_keys(store), expression)
    if better is not None:
        forget_keys(store)  # read again: a key logged in the last seconds is not a typo
        better = _unknown(store_keys(store), expression)
    if better is not None:
        raise better
    if error is not None:
        raise error


def _unknown(keys: dict[str, list[str]], expression: str) -> InvalidFilterError | None:
    known = {f: set(keys.get(f, ())) for f in ("params", "metrics", "tags")}
    return filter_keys.unknown_key_error(expression, known)


class KeysHandler(BaseHandler):
    """GET /keys: {"params", "metrics", "tags", "experiments", "fields"}, each a sorted list."""

    @web.authenticated
    def get(self) -> None:
        keys = store_keys(self.ctx.store)
        fields = [n for n in filters.FIELD_NAMES if not n.endswith(".*")]
        self.write_json({**keys, "fields": fields})
