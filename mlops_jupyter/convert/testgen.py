"""Rendering the pytest tests of a converted package: per step, the whole pipeline, `test` cells."""

from __future__ import annotations

import pickle
from typing import Any

from mlops_jupyter.convert.capture import FINAL, Capture
from mlops_jupyter.convert.codegen import indent_code
from mlops_jupyter.convert.package import shadow_lines
from mlops_jupyter.convert.plan import Block, Plan
from mlops_jupyter.convert.script import module_only_statements

SUPPORT = '''\
"""Loading the values captured from the notebook and comparing them type by type."""

from __future__ import annotations

import io
import json
import math
import pickle
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"


def captured(step: str, phase: str) -> tuple[dict[str, Any], dict[str, str]]:
    """Values saved for ``step`` (``inputs``/``outputs``) and the names that could not be saved."""
    folder = DATA / step / phase
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    values: dict[str, Any] = {}
    skipped = {}

    def load(name: str) -> Any:  # values saved with references to each other ("refs")
        if name not in values:
            unpickler = pickle.Unpickler(io.BytesIO((folder / manifest[name]["file"]).read_bytes()))
            unpickler.persistent_load = load  # type: ignore[method-assign]
            values[name] = unpickler.load()
        return values[name]

    for name, entry in manifest.items():
        if "skipped" in entry:
            skipped[name] = entry["skipped"]
        elif entry["format"] == "parquet":
            import pandas as pd

            values[name] = pd.read_parquet(folder / entry["file"])
        else:
            load(name)
    return values, skipped


def step_inputs(step: str, names: list[str]) -> dict[str, Any]:
    """The arguments of ``step`` as captured; values that could not be saved are recomputed by
    running the pipeline up to the step."""
    values, skipped = captured(step, "inputs")
    missing = [n for n in names if n not in values]
    if missing:
        from .. import pipeline

        ns = pipeline._run({}, stop_before=step)
        values.update({n: ns[n] for n in missing})
    return {n: values[n] for n in names}


def assert_outputs(step: str, names: list[str], result: Any) -> int:
    """Assert that ``result`` (a value, or a tuple for several names) matches the capture;
    return how many values were compared."""
    expected, _ = captured(step, "outputs")
    actual = dict(zip(names, (result,) if len(names) == 1 else result))
    assert set(actual) == set(names), f"step {step} returned {len(actual)} values, expected {names}"
    for name, value in expected.items():
        assert_same(actual[name], value, f"{step}: {name}")
    return len(expected)


def assert_same(actual: Any, expected: Any, where: str = "value", _depth: int = 0) -> None:
    """Type-aware equality: DataFrames, arrays, floats within tolerance, containers, objects."""
    if _depth > 8:
        return
    module = type(expected).__module__.split(".")[0]
    if module == "pandas":
        _assert_pandas(actual, expected, where)
    elif module == "numpy":
        import numpy as np

        assert isinstance(actual, (np.ndarray, np.generic)), f"{where}: got {type(actual).__name__}"
        if np.asarray(expected).dtype.kind in "fc":
            np.testing.assert_allclose(actual, expected, rtol=1e-7, atol=1e-9, equal_nan=True,
                                       err_msg=where)
        else:
            np.testing.assert_array_equal(actual, expected, err_msg=where)
    elif isinstance(expected, float):
        assert isinstance(actual, (float, int)), f"{where}: got {type(actual).__name__}"
        assert (math.isnan(expected) and math.isnan(actual)) or math.isclose(
            actual, expected, rel_tol=1e-7, abs_tol=1e-9), f"{where}: {actual!r} != {expected!r}"
    elif isinstance(expected, dict):
        assert isinstance(actual, dict) and list(actual) == list(expected), f"{where}: keys differ"
        for key in expected:
            assert_same(actual[key], expected[key], f"{where}[{key!r}]", _depth + 1)
    elif isinstance(expected, (list, tuple)):
        assert type(actual) is type(expected) and len(actual) == len(expected), f"{where}: differs"
        for index, (a, e) in enumerate(zip(actual, expected)):
            assert_same(a, e, f"{where}[{index}]", _depth + 1)
    elif isinstance(expected, (int, str, bytes, bool, set, frozenset, complex, type(None))):
        assert actual == expected, f"{where}: {actual!r} != {expected!r}"
    elif callable(expected) and not hasattr(expected, "__dict__"):
        assert getattr(actual, "__qualname__", None) == getattr(expected, "__qualname__", None)
    else:
        _assert_object(actual, expected, where, _depth)


def _assert_pandas(actual: Any, expected: Any, where: str) -> None:
    import pandas as pd

    assert type(actual) is type(expected), f"{where}: got {type(actual).__name__}"
    if isinstance(expected, pd.DataFrame):
        pd.testing.assert_frame_equal(actual, expected, check_exact=False, rtol=1e-7, atol=1e-9)
    elif isinstance(expected, pd.Series):
        pd.testing.assert_series_equal(actual, expected, check_exact=False, rtol=1e-7, atol=1e-9)
    elif isinstance(expected, pd.Index):
        pd.testing.assert_index_equal(actual, expected)
    else:
        assert actual == expected, f"{where}: {actual!r} != {expected!r}"


# Objects compared by type only: their state holds ids, caches and back-references to canvases.
_TYPE_ONLY = {"matplotlib", "seaborn", "PIL", "IPython", "ipywidgets"}


def _assert_object(actual: Any, expected: Any, where: str, depth: int) -> None:
    assert type(actual).__qualname__ == type(expected).__qualname__, (
        f"{where}: got {type(actual).__qualname__}, expected {type(expected).__qualname__}")
    if type(expected).__module__.split(".")[0] in _TYPE_ONLY:
        return
    if type(expected).__eq__ is not object.__eq__:
        try:
            same = bool(actual == expected)
        except Exception:
            same = None
        if same is not None:
            assert same, f"{where}: {actual!r} != {expected!r}"
            return
    state_a, state_e = getattr(actual, "__dict__", None), getattr(expected, "__dict__", None)
    if isinstance(state_e, dict) and isinstance(state_a, dict):
        assert_same(state_a, state_e, f"{where}.__dict__", depth + 1)
'''


def render_step_tests(plan: Plan, order: list[Block], package: str) -> str:
    """Source of ``tests/test_steps.py``: one test per step, against the captured values."""
    out = [
        '"""Each step function reproduces what the notebook computed (values captured by '
        'executing it once)."""',
        f"from {package} import steps\nfrom {package}.tests._support import assert_outputs, "
        "step_inputs",
    ]
    for block in order:
        names = block.inputs + block.params
        body = [
            f"def test_{block.name}():",
            f'    """Step `{block.name}` from cell {block.first_cell} gives the notebook\'s '
            'values."""',
            f"    inputs = step_inputs({block.name!r}, {names!r})",
            f"    result = steps.{block.name}(**inputs)",
        ]
        if block.outputs:
            body.append(f"    assert_outputs({block.name!r}, {block.outputs!r}, result)")
        else:
            body.append("    assert result is None")
        out.append("\n".join(body))
    return "\n\n\n".join(out) + "\n"


def render_pipeline_tests(package: str) -> str:
    """Source of ``tests/test_pipeline.py``: the whole pipeline and its command line."""
    return (
        f'''"""The whole pipeline reproduces the notebook's final values; '''
        f'''its CLI validates input."""
import pytest

from {package} import pipeline
from {package}.tests._support import assert_same, captured


def test_pipeline_reproduces_the_notebook():
    ns = pipeline.run()
    expected, _ = captured({FINAL!r}, "outputs")
    for name, value in expected.items():
        assert_same(ns[name], value, name)


def test_pipeline_refuses_unknown_parameters():
    with pytest.raises(TypeError, match="unknown parameter"):
        pipeline.run(not_a_parameter_of_this_notebook=1)
    with pytest.raises(SystemExit):
        pipeline.main(["--not-a-parameter-of-this-notebook", "1"])
'''
    )


def render_cell_tests(plan: Plan, package: str) -> str | None:
    """Source of ``tests/test_cells.py`` from the notebook's ``test`` cells (None if none).

    Each test sees the pipeline as it stood at its cell: the steps after it do not run.
    """
    tests = [b for b in plan.blocks if b.kind == "test"]
    if not tests:
        return None
    out = [
        '"""The notebook\'s `test` cells, each run on the pipeline\'s values at that cell."""',
        f"from {package} import pipeline\nfrom {package}.steps import *  "
        "# noqa: F403 - the notebook's imports and definitions",
    ]
    for block in tests:
        later = plan.blocks[plan.blocks.index(block) + 1 :]
        stop = next((b.name for b in later if b.kind == "step"), None)
        names = block.inputs + block.params
        lines = [
            f"def test_cell_{block.first_cell}():",
            f'    """Notebook cell {block.first_cell} (tagged `test`)."""',
            f"    ns = pipeline._run({{}}, stop_before={stop!r})",
        ]
        lines += [f"    {n} = ns[{n!r}]" for n in names]
        lines += [f"    {line}" for line in shadow_lines(block)]
        code, hoisted = module_only_statements(block.code)
        out[1] += "".join(f"\n{h}" for h in hoisted)
        lines.append(indent_code(code))
        out.append("\n".join(lines))
    return "\n\n\n".join(out) + "\n"


_SCHEMA_TYPES = {"pandas.DataFrame", "pandas.Series", "numpy.ndarray"}
_SCHEMA_HELPERS = '''

def _schema(value):
    """What a schema check compares: a DataFrame's columns and dtypes, a Series' name and dtype,
    an array's dtype and shape past the first axis."""
    if hasattr(value, "dtypes") and hasattr(value, "columns"):
        return {"columns": [[str(c), str(t)] for c, t in value.dtypes.items()]}
    if hasattr(value, "dtype") and hasattr(value, "index"):
        return {"name": str(value.name), "dtype": str(value.dtype)}
    if hasattr(value, "dtype") and hasattr(value, "shape"):
        return {"dtype": str(value.dtype), "shape": list(value.shape[1:])}
    return {"type": type(value).__name__}


def _difference(actual, expected):
    if "columns" not in expected or "columns" not in actual:
        return f"{actual} != {expected}"
    got, want = dict(actual["columns"]), dict(expected["columns"])
    changes = [f"missing column {c!r}" for c in want if c not in got]
    changes += [f"new column {c!r}" for c in got if c not in want]
    changes += [f"column {c!r} is {got[c]}, was {t}" for c, t in want.items()
                if c in got and got[c] != t]
    return "; ".join(changes) or "the column order changed"


def check_inputs(step, stop_before):
    ns = pipeline._run({}, stop_before=stop_before)
    for name, expected in SCHEMAS[step].items():
        actual = _schema(ns[name])
        assert actual == expected, (
            f"step {step}: input {name!r} changed schema since the notebook run: "
            f"{_difference(actual, expected)}")
'''


def render_schema_tests(order: list[Block], capture: Capture, package: str) -> str | None:
    """Source of ``tests/test_schemas.py`` (None when no step reads a frame or an array): each
    step's input DataFrames, Series and arrays keep the columns and dtypes captured from the
    notebook run. The inputs are computed again by the pipeline, so a change in the data the
    notebook reads (a new, missing or retyped column) fails here, before the values differ."""
    schemas = {}
    for block in order:
        found = {
            name: schema
            for name in block.inputs
            if (schema := _captured_schema(capture, block.name, name)) is not None
        }
        if found:
            schemas[block.name] = found
    if not schemas:
        return None
    out = [
        '"""Each step\'s input data keeps the schema it had when the notebook ran (CI that '
        'tests data schemas)."""',
        f"from {package} import pipeline\n\nSCHEMAS = {schemas!r}" + _SCHEMA_HELPERS.rstrip(),
    ]
    for block in order:
        if block.name in schemas:
            out.append(
                f"def test_input_schema_{block.name}():\n"
                f'    """The inputs of step `{block.name}` (cell {block.first_cell}): names and '
                'dtypes."""\n'
                f"    check_inputs({block.name!r}, {block.name!r})"
            )
    return "\n\n\n".join(out) + "\n"


def _captured_schema(capture: Capture, step: str, name: str) -> dict[str, Any] | None:
    """The schema of a captured input, read from its saved file (parquet, or the pickle of a
    pandas or NumPy object only), or None."""
    entry = capture.manifests.get(step, {}).get("inputs", {}).get(name)
    if not entry or entry.get("type") not in _SCHEMA_TYPES or "file" not in entry:
        return None
    path = capture.directory / step / "inputs" / entry["file"]
    try:
        if entry["format"] == "parquet":
            import pandas as pd

            value: Any = pd.read_parquet(path)
        else:
            value = pickle.loads(path.read_bytes())  # a pandas/NumPy value this run saved
    except Exception:
        return None
    if entry["type"] == "pandas.DataFrame":
        return {"columns": [[str(c), str(t)] for c, t in value.dtypes.items()]}
    if entry["type"] == "pandas.Series":
        return {"name": str(value.name), "dtype": str(value.dtype)}
    return {"dtype": str(value.dtype), "shape": list(value.shape[1:])}
