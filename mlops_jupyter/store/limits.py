"""The one table of size and range limits every store backend enforces alike.

SQLite would store almost anything and PostgreSQL refuses what its column types cannot hold, so
the same call used to succeed on one backend and fail on the other. These checks run before any
SQL, with MLflow's figures for values (param 6,000 and tag 8,000 characters), so both backends
accept and refuse exactly the same keys and values, with one message naming the limit.
"""

from __future__ import annotations

from typing import Any

from mlops_jupyter.errors import ValueLimitError

#: Longest param, metric or tag key (the key columns are VARCHAR(256)).
KEY_MAX = 250
#: Longest param value, as text (MLflow's MAX_PARAM_VAL_LENGTH).
PARAM_VALUE_MAX = 6000
#: Longest tag value (MLflow's MAX_TAG_VAL_LENGTH).
TAG_VALUE_MAX = 8000
#: Longest run name (VARCHAR(512)) and experiment name (VARCHAR(256)).
RUN_NAME_MAX = 500
EXPERIMENT_NAME_MAX = 250
#: The range of metric steps and other stored integers (BIGINT / SQLite INTEGER).
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
#: Largest LIMIT/OFFSET a query takes.
ROW_COUNT_MAX = INT64_MAX


def check_key(what: str, key: Any) -> str:
    """`key` as the stored string, or ValueLimitError when it is empty, too long or has NUL."""
    text = str(key)
    if key is None or not text.strip():
        raise ValueLimitError(what, text, "a key must be a non-empty string")
    if len(text) > KEY_MAX:
        raise ValueLimitError(
            what,
            text,
            f"the key has {len(text):,} characters, the limit is {KEY_MAX}; use a shorter name",
        )
    if "\x00" in text:
        raise ValueLimitError(what, text, "the key contains a NUL character; remove it")
    return text


def check_text(what: str, key: str, text: str | None, limit: int) -> str | None:
    """`text` unchanged, or ValueLimitError when it is longer than `limit` or has a NUL."""
    if text is None:
        return None
    if len(text) > limit:
        raise ValueLimitError(
            what,
            key,
            f"the value has {len(text):,} characters, the limit is "
            f"{limit:,}; store large content with log_artifact() instead",
        )
    if "\x00" in text:
        raise ValueLimitError(what, key, "the value contains a NUL character; remove it")
    return text


def check_name(what: str, name: str | None, limit: int) -> str | None:
    """A run or experiment name, or ValueLimitError when too long or with a NUL."""
    if name is None:
        return None
    return check_text(what, str(name)[:40], str(name), limit)


def check_row_count(what: str, value: Any, *, allow_none: bool = True) -> int | None:
    """A LIMIT/OFFSET value: None (when allowed) or an int in 0..2^63-1."""
    from mlops_jupyter.errors import InvalidArgumentError

    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgumentError(f"{what} must be a whole number, got {value!r:.40}")
    if value < 0:
        raise InvalidArgumentError(f"{what} must not be negative, got {value}")
    if value > ROW_COUNT_MAX:
        raise InvalidArgumentError(f"{what} {value} is too large; the most is {ROW_COUNT_MAX}")
    return value
