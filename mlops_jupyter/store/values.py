"""Typed encoding of parameter values into (text, number, type) columns and back."""

from __future__ import annotations

import json
import math
from typing import Any

from mlops_jupyter.errors import InvalidMetricError, ValueLimitError
from mlops_jupyter.store import limits


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
            raise ValueLimitError(
                "param",
                "",
                f"the integer {_digits(value)} is too large to "
                "store as a number; log it as a string (str(value)) or "
                "log a smaller number",
            ) from None
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


#: Longest metric name every backend stores: the one key limit of store/limits.py.
MAX_METRIC_KEY_LENGTH = limits.KEY_MAX
_STEP_MIN, _STEP_MAX = limits.INT64_MIN, limits.INT64_MAX


def check_metric(key: Any, value: Any, step: Any) -> tuple[float, int | None]:
    """(value as float, step as int or None) once key, value and step are storable everywhere.

    Called on every log_metric (as MLflow's _validate_metric is) so that one bad point is refused
    at the call that made it, instead of poisoning a batch at flush time. The common case (a str
    key, a float value, an int or no step) costs a few type checks.

    Raises:
        InvalidMetricKeyError: the key is not a non-empty str of at most 250 chars without NUL.
        InvalidMetricStepError: the step is not an integer in signed 64-bit range.
        InvalidMetricError: the value is not a real number (or an int beyond float range).
    """
    if type(key) is not str or not key or len(key) > MAX_METRIC_KEY_LENGTH or "\x00" in key:
        _refuse_key(key)
    if step is not None and (type(step) is not int or not _STEP_MIN <= step <= _STEP_MAX):
        step = _checked_step(key, step)
    if type(value) is float:
        return value, step
    try:
        return metric_value(key, value), step
    except OverflowError:  # float(10**400): a number, but not one a metric column holds
        raise InvalidMetricError(key, value) from None


def _refuse_key(key: Any) -> None:
    from mlops_jupyter.errors import InvalidMetricKeyError

    if not isinstance(key, str):
        raise InvalidMetricKeyError(key, f"is a {type(key).__name__}, not a string")
    if not key:
        raise InvalidMetricKeyError(key, "is empty")
    if "\x00" in key:
        raise InvalidMetricKeyError(key, "contains a NUL byte")
    raise InvalidMetricKeyError(
        key, f"has {len(key)} characters, more than {MAX_METRIC_KEY_LENGTH}"
    )


def _checked_step(key: str, step: Any) -> int:
    """numpy and other integer types become int; bools, floats and out-of-range ints are refused."""
    import operator

    from mlops_jupyter.errors import InvalidMetricStepError

    if isinstance(step, bool):
        raise InvalidMetricStepError(key, step)
    try:
        step = operator.index(step)
    except TypeError:
        raise InvalidMetricStepError(key, step) from None
    if not _STEP_MIN <= step <= _STEP_MAX:
        raise InvalidMetricStepError(key, step)
    return step
