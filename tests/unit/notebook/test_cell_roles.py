"""Cell roles from one table: every marker, and the same parameters cell for every caller."""

from __future__ import annotations

import pytest

from mlops_jupyter.convert.analysis import plan_notebook
from mlops_jupyter.execution.parameters import notebook_schema
from mlops_jupyter.magics.history import Executed, NotebookCell, parameter_names
from mlops_jupyter.notebook.parameters import find_parameters_cell
from mlops_jupyter.notebook.roles import ROLE_SOURCES, Roles, cell_roles, read_cells, roles_of

# source, tags, roles
TABLE = [
    ("a = 1", ["parameters"], Roles(parameters=True)),
    ("a = 1", ["pipeline-parameters"], Roles(parameters=True)),  # Kale
    ("#| parameters\na = 1", [], Roles(parameters=True)),
    ("#|parameters:\na = 1", [], Roles(parameters=True)),
    ("%%time\n#| parameters\na = 1", [], Roles(parameters=True)),
    ("\n#| echo: false\n#| parameters\na = 1", [], Roles(parameters=True)),  # Quarto's lines
    ("a = 1\n#| parameters", [], Roles()),  # only the cell's header counts
    ("#| pipeline-parameters\na = 1", [], Roles()),  # Kale's words are tags, not comments
    ("# Parameters\na = 1", [], Roles(injected=True)),  # papermill's injected cell
    ("a = 1", ["injected-parameters"], Roles(injected=True)),
    ("x = 1", ["block:load", "prev:a,b"], Roles(step="load", after=("a", "b"))),  # Kale
    ("#| step: load\n#| after: a\nx = 1", ["after:b"], Roles(step="load", after=("a", "b"))),
    ("x = 1", ["skip"], Roles(skip=True)),
    ("#| test\nassert x", [], Roles(test=True)),
    ("x = 1", ["parameters:x", "nbdev"], Roles()),  # a flag takes no value; unknown tags
    ("x = 1", ["step:not a name"], Roles()),  # lenient here, an error for the converter
]


@pytest.mark.parametrize("source, tags, roles", TABLE)
def test_roles(source, tags, roles) -> None:
    assert roles_of(source, tags) == roles
    cell = {"cell_type": "code", "metadata": {"tags": tags}, "source": source}
    assert cell_roles(cell) == roles


def test_every_role_source_names_a_role() -> None:
    assert {s.role for s in ROLE_SOURCES} <= set(Roles.__dataclass_fields__)


def _notebook(marker: tuple[str, list[str]]) -> dict:
    source, tags = marker
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {},
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": "# t"},
            {"cell_type": "code", "metadata": {}, "source": "import math"},
            {"cell_type": "code", "metadata": {"tags": tags}, "source": source},
            {"cell_type": "code", "metadata": {}, "source": "out = math.sqrt(lr)"},
        ],
    }


@pytest.mark.parametrize(
    "marker",
    [
        ("lr = 0.1", ["parameters"]),
        ("lr = 0.1", ["pipeline-parameters"]),
        ("#| parameters\nlr = 0.1", []),
    ],
    ids=["tag", "kale", "comment"],
)
def test_every_caller_finds_the_same_parameters_cell(marker) -> None:
    nb = _notebook(marker)
    found = find_parameters_cell(nb)
    assert found is not None and found[0] == 2
    assert [s.name for s in notebook_schema(nb)] == ["lr"]  # params, run, sweep, server
    assert [c.index for c in read_cells(nb) if c.parameters] == [2]  # the converter
    assert [b.kind for b in plan_notebook(nb).blocks if b.kind == "parameters"] == ["parameters"]
    history = [
        Executed(1, None, "import math"),
        Executed(2, None, marker[0]),
        Executed(3, None, "out = 1"),
    ]
    cells = [
        NotebookCell(1, None, "import math", ()),
        NotebookCell(2, None, marker[0], tuple(marker[1])),
        NotebookCell(3, None, "out = 1", ()),
    ]
    assert parameter_names(history, cells) == ["lr"]  # %%track's kernel history
