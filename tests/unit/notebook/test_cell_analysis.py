"""Static cell analysis, no kernel: what a cell reads (candidate params for `%%track`, and the
names the hidden-state check follows) and what it assigns at top level (candidate metrics)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from mlops_jupyter.notebook.cell_analysis import analyse_cell
from tests.support import ROOT


@pytest.mark.parametrize(
    "source, reads, assigns",
    [
        ("x = 1", [], ["x"]),
        ("y = x + 1", ["x"], ["y"]),
        ("x = x + 1", ["x"], ["x"]),  # read before it is reassigned
        ("x += 1", ["x"], ["x"]),  # an augmented assignment reads too
        ("lr *= 2\nacc = lr", ["lr"], ["lr", "acc"]),
        ("x = 1\ny = x", [], ["x", "y"]),  # bound above: not a read of a global
        ("y = x\nx = 1", ["x"], ["y", "x"]),
        ("a, (b, *c) = t", ["t"], ["a", "b", "c"]),  # in source order
        ("z, y, x = t", ["t"], ["z", "y", "x"]),
        ("x = y = 0", [], ["x", "y"]),
        ("n: int = 3", [], ["n"]),  # annotations are not counted as reads
        ("import numpy as np\nmean = np.mean(data)", ["data"], ["mean"]),
        ("from math import pi as PI\nr = PI * radius", ["radius"], ["r"]),
        ("def f(a, *rest, k=1, **kw):\n    return a + k + scale", ["scale"], []),
        ("f = lambda z: z + w", ["w"], ["f"]),
        ("ys = [i * 2 for i in items if i]", ["items"], ["ys"]),  # `i` is the comprehension's
        ("d = {k: v for k, v in pairs}", ["pairs"], ["d"]),
        ("class K:\n    size = default_size", ["default_size"], []),
        ("with open(path) as fh:\n    text = fh.read()", ["open", "path"], []),  # not top level
        ("if (n := len(data)) > 3:\n    big = True", ["len", "data"], []),
        ("print(a, b)\ndisplay(df)\nIn[1], Out[1]", ["a", "b", "df"], []),  # IPython's own names
        ("%time q = 1\nq2 = q + 1", ["q"], ["q2"]),  # a line magic's argument is opaque
        ("files = !ls {folder}\ncount = len(files)", ["len"], ["files", "count"]),
        ("%%time\nacc = model_score", ["model_score"], ["acc"]),  # a cell magic: its body
        ("%%bash\necho $HOME", [], []),  # not Python: nothing, and no error
        ("x = (1,", [], []),  # a typo: nothing, and no error
        ("x = '\0'", [], []),
        ("", [], []),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_reads_and_assigns(source: str, reads: list[str], assigns: list[str]) -> None:
    names = analyse_cell(source)
    assert (names.reads, names.assigns) == (reads, assigns)


@pytest.mark.parametrize(
    "source, binds",
    [
        ("import os.path, numpy as np", {"os", "np"}),
        ("for i in range(3):\n    last = i", {"i", "last"}),
        ("def f():\n    pass\nclass C:\n    pass", {"f", "C"}),
        ("with open(p) as fh:\n    pass", {"fh"}),
        ("x, y = 1, 2", {"x", "y"}),
    ],
)
def test_binds_cover_every_way_a_cell_defines_a_name(source: str, binds: set[str]) -> None:
    """The hidden-state check follows these: a name a deleted cell bound is flagged when read."""
    assert analyse_cell(source).binds == binds


def test_assignment_order_does_not_depend_on_the_hash_seed() -> None:
    """Metrics are recorded in the order the cell assigns them, in every kernel process."""
    code = (
        "from mlops_jupyter.notebook.cell_analysis import analyse_cell;"
        "print(analyse_cell('c, a, b = t').assigns)"
    )
    seen = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
            env={"PYTHONHASHSEED": str(seed), "PYTHONPATH": str(ROOT)},
        ).stdout
        for seed in range(6)
    }
    assert seen == {"['c', 'a', 'b']\n"}
