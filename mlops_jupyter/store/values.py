"""Typed encoding of parameter values into (text, number, type) columns and back."""

from __future__ import annotations

import json
import math
from typing import Any

from ..errors import InvalidMetricError, ValueLimitError


def _plain(value: Any) -> Any:
    """numpy scalars and 0-d arrays -> Python scalars; anything else unchanged."""
    item = getattr(value, "item", None)
    if item is not None and getattr(value, "ndim", 1) == 0:
        try:
            return item()
        except (TypeError, ValueError):
            return value
    return value


def encode_param(value: Any) -> tuple[str | None, float | None, str]:
    """(text, numeric value or None, type name) for a parameter value."""
    value = _plain(value)
    if value is None:
        return None, None, "none"
    if isinstance(value, bool):
        return ("true" if value else "false"), float(value), "bool"
    if isinstance(value, int):
        try:
            return str(value), float(value), "int"
        except (OverflowError, ValueError):  # beyond float range / Python's int-to-str limit
            raise ValueLimitError("param", "", f"the integer {_digits(value)} is too large to "
                                  "store as a number; log it as a string (str(value)) or "
                                  "log a smaller number") from None
    if isinstance(value, float):
        return repr(value), (None if math.isnan(value) else value), "float"
    if isinstance(value, str):
        return value, None, "str"
    if isinstance(value, (list, tuple, dict)):
        try:
            return json.dumps(value, default=str), None, "json"
        except (TypeError, ValueError):
            pass
    return repr(value)[:2000], None, "repr"


def _digits(value: int) -> str:
    """A short description of a huge int (str() refuses ints over 4,300 digits)."""
    return f"with about {int(value.bit_length() * 0.30103) + 1:,} digits"


def decode_param(text: str | None, type_name: str) -> Any:
    """The Python value of a stored parameter."""
    if type_name == "none" or text is None:
        return None
    if type_name == "bool":
        return text == "true"
    if type_name == "int":
        return int(text)
    if type_name == "float":
        return float(text)
    if type_name == "json":
        return json.loads(text)
    return text


def metric_value(key: str, value: Any) -> float:
    """A metric value as float; anything that is not a real number is refused by name."""
    if not isinstance(key, str) or not key:
        raise InvalidMetricError(str(key), value)
    value = _plain(value)
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, (str, bytes)) or value is None:
        raise InvalidMetricError(key, value)
    try:
        return float(value)  # torch tensors, Decimal, Fraction ...
    except (TypeError, ValueError):
        raise InvalidMetricError(key, value) from None
