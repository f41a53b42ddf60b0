"""The one rule for what a value becomes when it is recorded: a metric, a simple param, or neither.

A leaf (imports nothing of ours), so that every place that has to decide (``%%track``'s assigned
and read names, ``%track log k=v``, the converter's translation of that line, and later the
store) asks the same two questions and gets the same answers:

- a **metric** is a real number: ``int``/``float`` and numpy's numeric scalars or 0-d arrays, but
  not ``bool`` (a flag, not a measurement) and not NaN (nothing was measured);
- a **simple param** is ``None``, a ``bool``/``int``/``float``, a ``str`` of at most 500
  characters, or a list/tuple/dict (string keys) of at most 20 such scalars; numpy scalars count
  as their Python value. Anything bigger or richer (a DataFrame, a model, a function) is state,
  not a parameter.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Literal

MAX_ITEMS = 20
"""A list/tuple/dict with more items than this is data, not a parameter."""
MAX_TEXT = 500
"""A string longer than this is data, not a parameter."""


def plain(value: Any) -> Any:
    """numpy scalars and 0-d arrays as the Python scalar they hold; anything else unchanged."""
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    item = getattr(value, "item", None)
    if item is not None and getattr(value, "shape", None) == ():
        try:
            return item()
        except (TypeError, ValueError):
            return value
    return value


def as_metric(value: Any) -> float | None:
    """The value as a float metric, or None when it is not a measurement (see the module rule)."""
    value = plain(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    number = float(value)
    return None if math.isnan(number) else number


def is_simple_param(value: Any) -> bool:
    """Whether the value is small and plain enough to record as a param (see the module rule)."""
    return _simple(plain(value), nested=False)


def _simple(value: Any, nested: bool) -> bool:
    if value is None or isinstance(value, (bool, int)):
        return True
    if isinstance(value, float):
        return math.isfinite(value) or not nested  # JSON holds no inf/nan inside a list
    if isinstance(value, str):
        return len(value) <= MAX_TEXT
    if nested:
        return False
    if isinstance(value, (list, tuple)):
        return len(value) <= MAX_ITEMS and all(_simple(plain(v), True) for v in value)
    if isinstance(value, dict):
        return len(value) <= MAX_ITEMS and all(
            isinstance(k, str) and _simple(plain(v), True) for k, v in value.items()
        )
    return False


def logged_kind(value: Any) -> Literal["metric", "param"]:
    """What ``%track log key=value`` records: a metric for a number, else a param."""
    return "metric" if as_metric(value) is not None else "param"
