"""Property-based: over generated cell sequences, analysis never crashes and exported code
compiles."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from mlops_jupyter.convert.analysis import plan_notebook
from mlops_jupyter.convert.capture import Capture
from mlops_jupyter.convert.check import check_notebook
from mlops_jupyter.convert.package import render_pipeline, render_steps
from mlops_jupyter.convert.script import export_script, parameter_specs
from mlops_jupyter.convert.testgen import render_cell_tests, render_step_tests

NAMES = st.sampled_from(["a", "b", "df", "x", "données"])
TEMPLATES = [
    "{n} = {m} + 1",
    "{n} += 1",
    "{n}, {m} = {m}, {n}",
    "del {n}",
    "{n} = [i for i in range(3) if {m}]",
    "def f_{n}(v={m}):\n    return v + {n}",
    "{n}.append({m})",
    "{n}['k'] = {m}",
    "print({n}, {m})",
    "%matplotlib inline",
    "!echo {{{n}}} ${m}",
    "%env A_{n}=1",
    "%time {n} = 1",
    "{n} = !ls",
    "class K_{n}:\n    size = {m}\n    def get(self):\n        return {n}",
    "import os as {n}",
    "from math import *",
    "for i in range({n}):\n    {m} = i",
    "if {n}:\n    !echo hi",
    "s_{n} = '''\n  keep {m}\n'''",
    "def g_{n}():\n    global {m}\n    {m} = 1",
    "{n}: int = 3",
    "with open('p') as {n}:\n    pass",
    "try:\n    {n} = 1\nexcept Exception as {m}:\n    pass",
    "%pip install pkg_{n}",
    "(_w := {m})",
    "{n} = lambda q: q + {m}",
    "{n} = {{k: v for k, v in {m}}}",
]
HEADERS = [
    "",
    "",
    "",
    "#| step: s1\n",
    "#| step: s2\n",
    "#| after: s1\n",
    "#| skip\n",
    "#| test\n",
    "#| parameters\n",
    "%%time\n",
    "%%bash\n",
]
TAGS = [[], [], ["parameters"], ["step:s1"], ["step:s3"], ["after:s3"], ["skip"], ["test"]]


@st.composite
def cells(draw):
    statements = []
    for _ in range(draw(st.integers(0, 4))):
        template = draw(st.sampled_from(TEMPLATES))
        statements.append(template.format(n=draw(NAMES), m=draw(NAMES)))
    header = draw(st.sampled_from(HEADERS))
    body = "\n".join(statements)
    if header == "%%bash\n":
        body = "echo hi"
    kind = draw(st.sampled_from(["code", "code", "code", "markdown"]))
    return {
        "cell_type": kind,
        "metadata": {"tags": draw(st.sampled_from(TAGS))},
        "source": header + body,
        "outputs": [],
        "execution_count": draw(st.none() | st.integers(1, 9)),
    }


@st.composite
def notebooks(draw):
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {},
        "cells": draw(st.lists(cells(), max_size=8)),
    }


@settings(max_examples=100, deadline=None)
@given(notebooks())
def test_analysis_never_crashes_and_exports_compile(nb):
    plan = plan_notebook(nb, collect=True)
    check_notebook(nb)
    source = export_script(nb)
    compile(source, "<script>", "exec")
    capture = Capture(Path("."), {})
    specs = parameter_specs(plan)
    for generated in (
        render_steps(plan, capture, specs, "nb"),
        render_pipeline(plan, specs, "nb"),
        render_step_tests(plan, plan.steps(), "pkg"),
        render_cell_tests(plan, "pkg"),
    ):
        if generated is not None:
            compile(generated, "<package>", "exec")
