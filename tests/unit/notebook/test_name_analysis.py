"""One static name analysis: a table of cells -> reads/assigns, through %%track's and the
converter's callers, which must agree on every row."""

from __future__ import annotations

import pytest

from mlops_jupyter.convert.analysis import plan_notebook
from mlops_jupyter.notebook.cell_analysis import analyse_cell
from mlops_jupyter.notebook.scopes import BUILTINS

# cell source, globals it reads (builtins left out), names its top-level assignments bind
TABLE = [
    ("y = x + 1", ["x"], ["y"]),
    ("x = x + 1", ["x"], ["x"]),
    ("total += step", ["step", "total"], ["total"]),
    ("for i in range(n):\n    acc = acc + i", ["n", "acc"], []),
    ("for i in range(n):\n    acc += i", ["n", "acc"], []),
    ("a, (b, *c) = pair", ["pair"], ["a", "b", "c"]),
    ("def f(v):\n    return v * scale\nresult = f(base)", ["scale", "base"], ["result"]),
    ("def g():\n    return hidden\ncallback = g", ["hidden"], ["callback"]),
    ("def h():\n    return own\nown = 1", [], ["own"]),
    ("squares = [k * w for k in ks]", ["ks", "w"], ["squares"]),
    ("with open(p) as fh:\n    text = fh.read()", ["p"], []),
    ("import math as m\nz = m.sqrt(size)", ["size"], ["z"]),
    ("model.fit(X)\nscore = model.score(X)", ["model", "X"], ["score"]),
    ("lam = lambda t: t + offset", ["offset"], ["lam"]),
    ("if (k := count) > 2:\n    big = k", ["count"], []),
    ("ann: int = width * 2\nbare: int", ["width"], ["ann"]),
    (
        "class C:\n    k = base_k\n    def m(self):\n        return later\nobj = C()",
        ["base_k", "later"],
        ["obj"],
    ),
    ("try:\n    r = risky\nexcept ValueError as e:\n    r = str(e)", ["risky"], []),
    ("print(msg)\nout = len(items)", ["msg", "items"], ["out"]),
    ("seen = set()\nseen.add(item)", ["item"], ["seen"]),
]


#: Inputs a row's cell surely changes in place (a mutating method): the converter returns them.
CHANGED_IN_PLACE = {"model.fit(X)\nscore = model.score(X)": {"model"}}


def _ids() -> list[str]:
    return [row[0].splitlines()[0][:30] for row in TABLE]


@pytest.mark.parametrize("source, reads, assigns", TABLE, ids=_ids())
def test_track_reads_and_assigns(source, reads, assigns) -> None:
    names = analyse_cell(source)
    assert [n for n in names.reads if n not in BUILTINS] == reads
    assert names.assigns == assigns
    assert set(assigns) <= names.binds


@pytest.mark.parametrize("source, reads, assigns", TABLE, ids=_ids())
def test_the_converter_sees_the_same_names(source, reads, assigns) -> None:
    """The cell as the middle step of a pipeline: a first step makes every name it reads, a last
    step reads every name it assigns; its inputs are exactly the names it reads, its outputs the
    names it assigns, plus the pipeline's final value of any input it rebinds (a loop's `acc`)
    or surely changes in place (`model.fit(X)` returns the fitted `model` to later steps)."""
    make = "\n".join(f"{name} = 1" for name in reads) or "made = 1"
    use = f"print({', '.join(assigns)})" if assigns else "print(made)" if not reads else "pass"
    nb = {
        "cells": [
            {"cell_type": "code", "metadata": {"tags": ["step:make"]}, "source": make},
            {
                "cell_type": "code",
                "metadata": {"tags": ["step:cell"]},
                "source": source + "\n_x = 0",
            },
            {"cell_type": "code", "metadata": {"tags": ["step:use"]}, "source": use},
        ]
    }
    steps = {block.name: block for block in plan_notebook(nb, collect=True).steps()}
    assert sorted(steps["cell"].inputs) == sorted(reads)
    rebound = set(reads) & analyse_cell(source).binds
    changed = CHANGED_IN_PLACE.get(source, set())
    assert sorted(steps["cell"].outputs) == sorted(set(assigns) | rebound | changed)


def test_a_cell_that_does_not_parse_records_nothing() -> None:
    for source in ("x = (", "a = 1\x00", "(" * 500 + ")" * 500):
        names = analyse_cell(source)
        assert (names.reads, names.assigns, names.binds) == ([], [], set())
