"""The parameters schema read from a notebook's parameters cell."""

from __future__ import annotations

import pytest

from mlops_jupyter.errors import NotebookError
from mlops_jupyter.notebook.parameters import (
    ParamSpec,
    find_parameters_cell,
    parse_parameters_source,
)


@pytest.mark.parametrize(
    "source, spec",
    [
        ("lr = 0.1  # learning rate", ParamSpec("lr", "float", 0.1, "learning rate")),
        ("epochs = 10", ParamSpec("epochs", "int", 10, "")),
        ("name = 'run'  # the run's name", ParamSpec("name", "str", "run", "the run's name")),
        ("debug = False", ParamSpec("debug", "bool", False, "")),
        ("layers = [64, 32]  # sizes", ParamSpec("layers", "list", [64, 32], "sizes")),
        ("shape = (1, 2)", ParamSpec("shape", "list", (1, 2), "")),
        ("opts = {'a': 1}", ParamSpec("opts", "dict", {"a": 1}, "")),
        ("path = None  # where to write", ParamSpec("path", "any", None, "where to write")),
        ("ratio: float = 1  # annotated", ParamSpec("ratio", "float", 1, "annotated")),
        ("tags: list[str] = []", ParamSpec("tags", "list", [], "")),
        ("n: int = int('3')", ParamSpec("n", "int", None, "")),
        ("k: int | None = None", ParamSpec("k", "int", None, "")),
        ("r: Optional[float] = None  # rate", ParamSpec("r", "float", None, "rate")),
        ("ville = 'Zürich'  # nom 🌍", ParamSpec("ville", "str", "Zürich", "nom 🌍")),
    ],
)
def test_one_parameter(source, spec):
    assert parse_parameters_source(source) == [spec]


def test_order_tuple_unpacking_reassignment_and_non_assignments():
    source = "a, b = 1, 'x'\nimport os\nc = 2.5\na = 3  # again\nprint(a)\n#| parameters\n"
    specs = parse_parameters_source(source)
    assert [(s.name, s.type, s.default, s.help) for s in specs] == [
        ("b", "str", "x", ""),
        ("c", "float", 2.5, ""),
        ("a", "int", 3, "again"),
    ]


def test_magic_lines_are_ignored():
    assert parse_parameters_source("%matplotlib inline\nx = 1")[0].name == "x"


def test_invalid_source_is_a_clear_error():
    with pytest.raises(NotebookError, match=r"parameters cell is not valid Python \(line 1"):
        parse_parameters_source("x = = 1")


def _nb(*cells):
    return {"cells": list(cells)}


def test_find_parameters_cell_by_tag_or_comment():
    tagged = {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": "a = 1"}
    commented = {"cell_type": "code", "metadata": {}, "source": ["#| parameters\n", "b = 2"]}
    plain = {"cell_type": "code", "metadata": {}, "source": "c = 3  #| parameters"}
    markdown = {"cell_type": "markdown", "metadata": {"tags": ["parameters"]}, "source": "x"}
    assert find_parameters_cell(_nb(markdown, plain, tagged)) == (2, tagged)
    assert find_parameters_cell(_nb(plain, commented)) == (1, commented)
    assert find_parameters_cell(_nb(plain, markdown)) is None
    magic_first = {"cell_type": "code", "metadata": {}, "source": "%%time\n#| parameters\nd = 4"}
    assert find_parameters_cell(_nb(magic_first)) == (0, magic_first)
