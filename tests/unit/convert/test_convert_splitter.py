"""The dataflow step splitter (issue 18 item 5): an untagged, heading-less notebook becomes
several steps named after what they produce; headings and `step` roles still decide when given;
`single_step` keeps one function."""

from __future__ import annotations

from mlops_jupyter.convert.analysis import plan_notebook
from mlops_jupyter.notebook.read import read_notebook
from tests.support import ROOT
from tests.support.nbhelpers import make_notebook

CELLS = [
    "import pandas as pd\nfrom sklearn.linear_model import LinearRegression",
    "df = pd.read_csv('data.csv')",
    "df.head()",
    "model = LinearRegression()\nmodel.fit(df[['x']], df['y'])",
    "print(model.score(df[['x']], df['y']))",
]


def test_an_untagged_headingless_notebook_is_split_by_its_dataflow():
    plan = plan_notebook(make_notebook(CELLS))
    assert [(s.name, [p.cell.index for p in s.parts]) for s in plan.steps()] == [
        ("load_data", [1]),
        ("fit_model", [2, 3]),  # a cell whose names nothing later uses joins the next step
        ("evaluate_results", [4]),
    ]
    load, fit, evaluate = plan.steps()
    assert load.outputs == ["df"] and "model" in fit.outputs and evaluate.inputs
    assert plan.blocks[0].kind == "module"  # the imports stay module level


def test_single_step_keeps_one_function():
    plan = plan_notebook(make_notebook(CELLS), single_step=True)
    assert [s.name for s in plan.steps()] == ["step_1"]


def test_headings_between_code_cells_still_name_the_steps():
    nb = make_notebook(CELLS)
    nb.cells.insert(3, {"cell_type": "markdown", "metadata": {}, "source": "## Train"})
    assert [s.name for s in plan_notebook(nb).steps()] == ["step_1", "train"]


def test_step_names_never_clash_with_the_notebooks_names():
    nb = make_notebook(["def load_data():\n    return [1]", "rows = load_data()", "print(rows)"])
    names = [s.name for s in plan_notebook(nb).steps()]
    assert "load_data" not in names and len(names) == 2 and not plan_notebook(nb).findings


def test_the_example_notebooks_have_three_named_steps():
    for name in ("prepare_data.ipynb", "train_classifier.ipynb"):
        plan = plan_notebook(read_notebook(ROOT / "example-notebooks" / name))
        steps = plan.steps()
        assert len(steps) >= 3 and not plan.findings, name
        assert not any(s.name.startswith("step_") for s in steps), name
        assert all(s.outputs for s in steps[:-1]), name  # each returns what later steps use
