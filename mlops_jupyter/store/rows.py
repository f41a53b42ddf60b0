"""Param and tag rows checked against the shared limits before any SQL is written."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import Any

from mlops_jupyter.errors import ValueLimitError
from mlops_jupyter.store import limits
from mlops_jupyter.store.values import encode_param

RowsOf = Callable[[str, Mapping[str, Any]], list[dict[str, Any]]]


def storable_rows(
    rows_of: RowsOf, run_id: str, values: Mapping[str, Any], family: str
) -> list[dict[str, Any]]:
    """rows_of(run_id, values) without the entries the limits refuse, with one warning."""
    try:
        return rows_of(run_id, values)
    except ValueLimitError:
        pass
    rows, refused = [], []
    for key, value in values.items():
        try:
            rows += rows_of(run_id, {key: value})
        except ValueLimitError as err:
            refused.append(str(err))
    warnings.warn(
        f"mlops-jupyter: {len(refused)} of the run's {family} not recorded: "
        + "; ".join(refused[:3]),
        RuntimeWarning,
        stacklevel=4,
    )
    return rows


def param_rows_of(run_id: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The params rows to write, each key and value checked against store/limits.py."""
    rows = []
    for k, v in params.items():
        key = limits.check_key("param", k)
        try:
            text, number, type_name = encode_param(v)
        except ValueLimitError as err:
            raise ValueLimitError("param", key, err.problem) from None
        limits.check_text("param", key, text, limits.PARAM_VALUE_MAX)
        rows.append(
            {"run_id": run_id, "key": key, "value": text, "value_num": number, "type": type_name}
        )
    return rows


def tag_rows_of(run_id: str, tags: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The tags rows to write, each key and value checked against store/limits.py."""
    rows = []
    for k, v in tags.items():
        key = limits.check_key("tag", k)
        rows.append(
            {
                "run_id": run_id,
                "key": key,
                "value": limits.check_text("tag", key, str(v), limits.TAG_VALUE_MAX),
            }
        )
    return rows
