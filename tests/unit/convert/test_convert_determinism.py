"""`check` predicts `convert` (issue 18 item 1): the same analysis, including whether step outputs
depend on unseeded randomness or the clock, decided statically where it can be."""

from __future__ import annotations

import pytest

from mlops_jupyter.convert import check_notebook, convert_notebook
from mlops_jupyter.errors import NotebookError
from tests.support.nbhelpers import make_notebook


def _headed(sources):
    nb = make_notebook(sources)
    cells = []
    for number, cell in enumerate(nb.cells):
        cells += [{"cell_type": "markdown", "metadata": {}, "source": f"# Step {number}"}, cell]
    nb.cells = cells
    return nb


UNSEEDED = ["import numpy as np", "noise = np.random.rand(3)", "total = float(noise.sum())"]


def test_an_output_from_unseeded_randomness_is_found_by_check_and_refused_by_convert(tmp_path):
    """Kale's examples: `check` said "faithful" (exit 0), then `convert` refused because the
    generated tests failed. Now both say so, naming the cell, the line and the fix, and
    `convert` refuses before running anything."""
    nb = _headed(UNSEEDED)
    report = check_notebook(nb)
    assert not report.ok
    (finding,) = [f for f in report.findings if f.code == "nondeterministic"]
    assert (finding.cell, finding.line) == (3, 1)
    assert "numpy.random.rand()" in finding.message and "numpy.random.seed(0)" in finding.message
    with pytest.raises(NotebookError, match=r"numpy\.random\.rand"):
        convert_notebook(nb, tmp_path / "pkg")
    assert not (tmp_path / "pkg").exists()


@pytest.mark.parametrize(
    "sources",
    [
        ["import numpy as np\nnp.random.seed(0)", "noise = np.random.rand(3)"],
        ["import numpy as np", "rng = np.random.default_rng(7)\nnoise = rng.normal(size=3)"],
        ["import random", "print(random.random())\nvalue = 1"],  # printed, never returned
        ["import random\nrandom.seed(1)", "pick = random.choice([1, 2, 3])"],
    ],
)
def test_seeded_or_unreturned_randomness_is_fine(sources):
    assert check_notebook(_headed(sources)).ok


@pytest.mark.parametrize(
    ("source", "what", "output"),
    [
        ("import time\nstarted = time.time()", "time.time()", "started"),
        ("import numpy as np\nrng = np.random.default_rng()\nx = rng.normal()", "default_rng", "x"),
        (
            "from random import shuffle\nitems = [1, 2, 3]\nshuffle(items)",
            "random.shuffle",
            "items",
        ),
        (
            "from sklearn.model_selection import train_test_split\n"
            "a, b = train_test_split([1, 2, 3, 4])",
            "train_test_split",
            "a",
        ),
    ],
)
def test_unseeded_sources_reaching_outputs(source, what, output):
    report = check_notebook(_headed([source, f"print({output})"]))  # a later step reads it
    assert not report.ok and what in report.format()
    assert [f.code for f in report.findings] == ["nondeterministic"]


def test_what_cannot_be_decided_is_listed_without_failing_the_verdict():
    report = check_notebook(_headed(["names = ['a', 'b']", "ordered = [n for n in set(names)]"]))
    assert report.ok
    assert [f.code for f in report.findings] == ["undecided"]
    assert "could not decide" in report.format() and "sorted(" in report.format()


def test_randomness_inside_a_notebook_function_is_found_where_it_is_called():
    """Kale's candies: `get_handful` (a module-level function) calls `random.randint`; `check`
    said faithful and the generated tests failed."""
    nb = _headed(
        [
            "import random",
            "def get_handful(left):\n    return random.randint(1, left)",
            "kid1 = get_handful(20)",
            "print(kid1)",
        ]
    )
    report = check_notebook(nb)
    assert not report.ok
    assert "get_handful(), which uses random without a seed" in report.format()
    seeded = _headed(
        [
            "import random\nrandom.seed(0)",
            "def get_handful(left):\n    return random.randint(1, left)",
            "kid1 = get_handful(20)",
            "print(kid1)",
        ]
    )
    assert check_notebook(seeded).ok
