"""Step interfaces planned for each corpus notebook: the inputs and outputs its yaml expects."""

from __future__ import annotations

import pytest

from mlops_jupyter.convert.analysis import plan_notebook
from mlops_jupyter.notebook.read import read_notebook
from tests.support.corpus import CORPUS, CORPUS_DIR, expected


@pytest.mark.parametrize(
    "name", [n for n in CORPUS if "outputs" in expected(n) or "inputs" in expected(n)]
)
def test_step_interfaces(name):
    plan = plan_notebook(read_notebook(CORPUS_DIR / f"{name}.ipynb"))
    steps = {b.name: b for b in plan.steps()}
    for step, names in expected(name).get("outputs", {}).items():
        assert sorted(steps[step].outputs) == sorted(names)
    for step, names in expected(name).get("inputs", {}).items():
        assert sorted(steps[step].inputs) == sorted(names)
