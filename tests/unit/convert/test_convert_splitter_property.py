"""Property-based (issue 18 item 5): over generated notebooks with neither step tags nor
headings, every dataflow split compiles, and running the steps in order gives the notebook's
final values (the notebook executed top to bottom in plain Python, no kernel)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlops_jupyter.convert.analysis import plan_notebook
from mlops_jupyter.convert.capture import Capture
from mlops_jupyter.convert.package import render_pipeline, render_steps
from mlops_jupyter.convert.runtime_render import runtime_files
from mlops_jupyter.convert.script import parameter_specs
from tests.support.nbhelpers import make_notebook

INTS = st.sampled_from(["a", "b", "c"])
LISTS = st.sampled_from(["xs", "ys"])
TEMPLATES = [
    "{i} = {j} + {k}",
    "{i} += 1",
    "{l}.append({i})",
    "{l} = {l} + [{j}]",
    "print({i}, {l})",
    "{i} = sum({l})",
    "{i} = len({l}) * {j}",
    "{i}, {j} = {j}, {i}",
    "for _t in range(2):\n    {i} += _t",
    "{l}.sort()",
    "{i} = max({l}) if {l} else {k}",
    "total = {i} + sum({l})",
    "pairs = [({i}, v) for v in {l}]",
    "best = sorted({l}, key=lambda v: -v)",
]
PRELUDE = "a = 1\nb = 2\nc = 3\nxs = [4]\nys = [5, 6]"


@st.composite
def statement(draw):
    return draw(st.sampled_from(TEMPLATES)).format(
        i=draw(INTS), j=draw(INTS), k=draw(INTS), l=draw(LISTS)
    )


@st.composite
def notebooks(draw):
    cells = [PRELUDE]
    for _ in range(draw(st.integers(1, 6))):
        cells.append("\n".join(draw(st.lists(statement(), min_size=1, max_size=3))))
    return cells


def _notebook_values(cells: list[str]) -> dict:
    namespace: dict = {}
    for source in cells:
        exec(compile(source, "<cell>", "exec"), namespace)  # the test's own code
    return namespace


COUNTER = iter(range(10**9))


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(notebooks())
def test_steps_in_order_give_the_notebooks_final_values(tmp_path_factory, cells):
    nb = make_notebook(cells)
    plan = plan_notebook(nb)
    assert not plan.findings
    steps = plan.steps()
    assert len(steps) >= 1 and all(s.name.isidentifier() for s in steps)
    assert len({s.name for s in steps}) == len(steps)
    specs = parameter_specs(plan)
    package = f"split_pkg_{next(COUNTER)}"
    folder = tmp_path_factory.mktemp("split") / package
    folder.mkdir()
    (folder / "__init__.py").write_text("")
    (folder / "steps.py").write_text(render_steps(plan, Capture(Path("."), {}), specs, "nb"))
    (folder / "pipeline.py").write_text(render_pipeline(plan, specs, "nb", package))
    for name, text in runtime_files().items():  # what every converted package carries
        (folder / name).write_text(text)
    for name in ("steps.py", "pipeline.py"):
        compile((folder / name).read_text(), name, "exec")
    sys.path.insert(0, str(folder.parent))
    try:
        ns = importlib.import_module(f"{package}.pipeline").run()
    finally:
        sys.path.remove(str(folder.parent))
    expected = _notebook_values(cells)
    outputs = {n for s in steps for n in s.outputs}
    assert outputs <= set(ns)
    for name in outputs:
        assert ns[name] == expected[name], name
