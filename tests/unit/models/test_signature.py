"""Signatures inferred from input examples (pandas nullable dtypes kept) and enforced on predict's
input: DataFrames, arrays, dicts and records converted, or one ModelInputError naming the column."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlops_jupyter.errors import ModelInputError
from mlops_jupyter.models.enforce import enforce
from mlops_jupyter.models.signature import describe, example_json, infer_signature

EXAMPLE = pd.DataFrame(
    {
        "age": pd.array([30, None], dtype="Int64"),
        "score": [0.5, 1.5],
        "member": pd.array([True, None], dtype="boolean"),
        "city": pd.array(["Oslo", None], dtype="string"),
        "count": np.array([1, 2], dtype="int64"),
    }
)
SIG = infer_signature(EXAMPLE, np.array([0, 1]))


def test_inferred_signature_keeps_pandas_dtype_names() -> None:
    columns = {c["name"]: c["type"] for c in SIG["inputs"]["columns"]}
    assert columns == {
        "age": "Int64",
        "score": "float64",
        "member": "boolean",
        "city": "string",
        "count": "int64",
    }
    assert SIG["outputs"] == {"type": "tensor", "dtype": "int64", "shape": [-1]}
    assert describe(SIG).startswith("age: Int64, score: float64") and "-> int64[-1]" in describe(
        SIG
    )
    assert infer_signature(np.zeros((3, 4), dtype="float32"))["inputs"] == {
        "type": "tensor",
        "dtype": "float32",
        "shape": [-1, 4],
    }
    assert example_json(EXAMPLE)["dataframe_split"]["data"][1] == [None, 1.5, None, None, 2]


def test_records_with_nulls_become_the_nullable_dtypes() -> None:
    rows = [{"count": 3, "city": None, "member": True, "score": 2, "age": None}]
    frame = enforce(rows, SIG)
    assert list(frame.columns) == ["age", "score", "member", "city", "count"]  # signature order
    assert [str(t) for t in frame.dtypes] == ["Int64", "float64", "boolean", "string", "int64"]
    assert frame["age"].isna().all() and frame["score"].iloc[0] == 2.0


@pytest.mark.parametrize(
    ("change", "message", "column"),
    [
        ({"drop": "city"}, "missing column(s) 'city'", "city"),
        ({"add": "extra"}, "unexpected column(s) 'extra'", "extra"),
        ({"count": 1.5}, "column 'count' expects int64 values, got float", "count"),
        ({"count": None}, "column 'count' expects int64", "count"),
        (
            {"score": "high"},
            "column 'score' expects float64 values, got str (e.g. 'high')",
            "score",
        ),
        ({"member": "yes"}, "column 'member' expects boolean values, got str", "member"),
        ({"city": 7}, "column 'city' expects string values, got int", "city"),
        ({"age": True}, "column 'age' expects Int64 values, got bool", "age"),
    ],
)
def test_bad_input_is_one_error_naming_the_column(change, message, column) -> None:
    row = {"age": 1, "score": 1.0, "member": False, "city": "x", "count": 2}
    if "drop" in change:
        del row[change["drop"]]
    elif "add" in change:
        row[change["add"]] = 1
    else:
        row.update(change)
    with pytest.raises(ModelInputError) as err:
        enforce([row], SIG)
    assert message in str(err.value) and err.value.column == column


def test_arrays_match_columns_by_position_and_tensors_by_shape() -> None:
    numeric = infer_signature(pd.DataFrame({"a": [1.0], "b": [2.0]}))
    assert list(enforce(np.array([[1, 2], [3, 4]]), numeric)["b"]) == [2.0, 4.0]
    with pytest.raises(ModelInputError, match="takes 2 columns"):
        enforce(np.array([[1, 2, 3]]), numeric)
    tensor = infer_signature(np.zeros((2, 3)))
    assert enforce([1, 2, 3], tensor).shape == (1, 3)  # one row given on its own
    assert enforce([[1, 2, 3]], tensor).dtype == np.float64
    with pytest.raises(ModelInputError, match=r"shape \(-1, 3\).*\(1, 2\)"):
        enforce([[1, 2]], tensor)
    with pytest.raises(ModelInputError, match="takes float64 numbers"):
        enforce([["a", "b", "c"]], tensor)
    assert enforce({"x": [1]}, None).shape == (1, 1)  # no signature: records still a DataFrame
