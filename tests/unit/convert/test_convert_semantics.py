"""Property-based, without kernels: over generated runnable cell sequences, the exported script and
the converted pipeline print and compute exactly what running the cells in one namespace does."""

from __future__ import annotations

import contextlib
import importlib
import io
import itertools
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from mlops_jupyter.convert.analysis import plan_notebook
from mlops_jupyter.convert.capture import Capture
from mlops_jupyter.convert.package import render_pipeline, render_steps
from mlops_jupyter.convert.pipeline import BLOCKING
from mlops_jupyter.convert.runtime_render import runtime_files
from mlops_jupyter.convert.script import export_script, parameter_specs

SETUP = [
    ("a = 1  # first\nb = 2\nc = [1]\nd = {'k': 1}", ["parameters"]),
    ("def g(v):\n    return v * 2", []),
    ("def f(v):\n    return v + a", []),
]
STATEMENTS = [
    "a = (a * 7 + b) % 101",
    "b += 1",
    "a, b = b, a",
    "c.append(a)",
    "c = c + [b]",
    "d['k'] = a",
    "d = dict(d, m=b)",
    "print(a, b, c, d)",
    "print([i * a for i in range(3)])",
    "if c:\n    del c[0]",
    "c.sort()",
    "b = g(b) % 97",
    "b = f(b) % 89",
    "d.update(z=len(c))",
    "c.extend(d.values())",
    "print(sum(c), sorted(d))",
    "for i in range(2):\n    b = (b + i) % 13",
    "c[:] = c[-3:]",
    "import math\nb = (b + math.floor(2.5)) % 7",
    "from operator import add\na = add(a, 1) % 50",
]
ROLES = ["", "", "", "step", "test", "skip"]
_COUNTER = itertools.count()


@st.composite
def runnable_notebooks(draw):
    cells = [(src, tags) for src, tags in SETUP]
    for index in range(draw(st.integers(1, 7))):
        body = "\n".join(draw(st.lists(st.sampled_from(STATEMENTS), min_size=1, max_size=3)))
        role = draw(st.sampled_from(ROLES))
        if role == "test":
            body = "assert isinstance(a, int) and isinstance(c, list)"
        tags = [f"step:s{index}"] if role == "step" else ([role] if role else [])
        cells.append((body, tags))
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {},
        "cells": [
            {
                "cell_type": "code",
                "metadata": {"tags": t},
                "source": s,
                "outputs": [],
                "execution_count": None,
            }
            for s, t in cells
        ],
    }


def _run_cells(nb):
    ns: dict = {}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for cell in nb["cells"]:
            if not {"skip", "test"} & set(cell["metadata"]["tags"]):
                exec(compile(cell["source"], "<cell>", "exec"), ns)
    return out.getvalue(), ns


def _same(actual, expected, names):
    names = [n for n in names if n in actual and not callable(expected[n])]
    return {n: actual[n] for n in names} == {n: expected[n] for n in names}


@settings(max_examples=80, deadline=None)
@given(runnable_notebooks())
def test_script_and_pipeline_reproduce_the_cells(tmp_path_factory, nb):
    expected_out, expected_ns = _run_cells(nb)
    script_ns = {"__name__": "exported_script"}
    exec(compile(export_script(nb), "<script>", "exec"), script_ns)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        script_ns["main"]()
    assert out.getvalue() == expected_out
    assert all(script_ns[n] == expected_ns[n] for n in "abcd")

    plan = plan_notebook(nb)
    if any(f.code in BLOCKING for f in plan.findings):
        return  # e.g. f() reads `a` after a later cell reassigns it: convert refuses, by design
    package = f"prop_pkg_{next(_COUNTER)}"
    root = tmp_path_factory.mktemp("prop")
    (root / package).mkdir()
    specs = parameter_specs(plan)
    (root / package / "__init__.py").write_text("")
    (root / package / "steps.py").write_text(
        render_steps(plan, Capture(Path("."), {}), specs, "nb")
    )
    (root / package / "pipeline.py").write_text(render_pipeline(plan, specs, "nb", package))
    for runtime_name, text in runtime_files().items():
        (root / package / runtime_name).write_text(text)
    sys.path.insert(0, str(root))
    try:
        pipeline = importlib.import_module(f"{package}.pipeline")
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            result = pipeline.run()
    finally:
        sys.path.remove(str(root))
    assert out.getvalue() == expected_out
    outputs = {n for b in plan.steps() for n in b.outputs}  # parameters stay as given in `result`
    assert _same(result, expected_ns, sorted(outputs))


def test_a_test_cell_sees_values_as_they_were_at_its_position(tmp_path):
    from mlops_jupyter.convert.testgen import render_cell_tests

    nb = {
        "cells": [
            {"cell_type": "code", "metadata": {"tags": tags}, "source": src}
            for src, tags in [
                ("#| step: a\nx = 1", []),
                ("assert x == 1", ["test"]),
                ("#| step: b\nx = 2", []),
                ("assert x == 2", ["test"]),
            ]
        ]
    }
    plan = plan_notebook(nb)
    root = tmp_path / "root"
    (root / "cellpkg").mkdir(parents=True)
    (root / "cellpkg" / "__init__.py").write_text("")
    (root / "cellpkg" / "steps.py").write_text(render_steps(plan, Capture(Path("."), {}), [], "nb"))
    (root / "cellpkg" / "pipeline.py").write_text(render_pipeline(plan, [], "nb", "cellpkg"))
    for runtime_name, text in runtime_files().items():
        (root / "cellpkg" / runtime_name).write_text(text)
    source = render_cell_tests(plan, "cellpkg")
    assert "stop_before='b'" in source and "stop_before=None" in source
    sys.path.insert(0, str(root))
    try:
        namespace: dict = {}
        exec(compile(source, "test_cells.py", "exec"), namespace)
        namespace["test_cell_1"]()
        namespace["test_cell_3"]()
    finally:
        sys.path.remove(str(root))
