"""The one metric-vs-param rule, over a table of values, and through the converter's `%track
log`."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from mlops_jupyter.convert.translate import translate_cell
from mlops_jupyter.notebook.roles import read_cells
from mlops_jupyter.value_kinds import as_metric, is_simple_param, logged_kind

# value, as_metric(value), is_simple_param(value)
TABLE = [
    (0.1, 0.1, True),
    (3, 3.0, True),
    (-2, -2.0, True),
    (True, None, True),  # a flag is a param, never a measurement
    (False, None, True),
    (None, None, True),
    ("adam", None, True),
    ("x" * 500, None, True),
    ("x" * 501, None, False),  # long text is data
    (math.inf, math.inf, True),
    (math.nan, None, True),  # nothing was measured
    ([1, 2, 3], None, True),
    ((0.1, "a", None), None, True),
    ({"a": 1, "b": [1]}, None, False),  # only scalars inside
    ({"a": 1, "b": "c"}, None, True),
    ({1: "a"}, None, False),  # keys must be text
    (list(range(21)), None, False),  # more than 20 items is data
    ([math.inf], None, False),  # JSON holds no inf inside a list
    ([[1]], None, False),
    (np.float64(0.25), 0.25, True),
    (np.int64(7), 7.0, True),
    (np.float32(0.5), 0.5, True),
    (np.bool_(True), None, True),
    (np.array(2.5), 2.5, True),  # a 0-d array is its scalar
    (np.array([1.0, 2.0]), None, False),
    ([np.int64(1), np.float64(2.0)], None, True),
    (np.float64("nan"), None, True),
    (object(), None, False),
    (len, None, False),
    (1 + 2j, None, False),
]


def _stable_id(value: object) -> str:
    """The value's repr without memory addresses, so every xdist worker collects the same ids."""
    return re.sub(r" at 0x[0-9a-f]+", "", repr(value))[:30]


@pytest.mark.parametrize("value, metric, simple", TABLE, ids=_stable_id)
def test_the_rule(value, metric, simple) -> None:
    assert as_metric(value) == metric
    assert is_simple_param(value) is simple
    assert logged_kind(value) == ("param" if metric is None else "metric")


@pytest.mark.parametrize(
    "text, call",
    [
        ("0.1", "log_metric('k', 0.1)"),
        ("3", "log_metric('k', 3)"),
        ("True", "log_param('k', True)"),
        ("None", "log_param('k', None)"),
        ("adam", "log_param('k', 'adam')"),
        ("[1,2]", "log_param('k', [1, 2])"),
    ],
)
def test_track_log_in_the_converter_follows_the_rule(text, call) -> None:
    """`%track log k=v` exports to log_metric exactly when the rule calls v a metric."""
    nb = {"cells": [{"cell_type": "code", "metadata": {}, "source": f"%track log k={text}"}]}
    code = translate_cell(read_cells(nb)[0], collect=False).code
    assert code == f"mlops_jupyter.{call}"
