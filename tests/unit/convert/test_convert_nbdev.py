"""nbdev notebooks (issue 18 item 6): the exported cells go to the module `#| default_exp`
names, as `nbdev_export` writes it; `#| eval: false` and `#| hide` cells are read from the same
role table as every other role."""

from __future__ import annotations

import importlib
import sys

import pytest

from mlops_jupyter.convert.nbdev import export_module
from mlops_jupyter.errors import NotebookError
from tests.support.corpus import run_cli
from tests.support.nbhelpers import make_notebook

CELLS = [
    "#| default_exp core.maths",
    "#| export\nfrom __future__ import annotations\nimport math",
    "#| export\ndef area(r: float) -> float:\n    return math.pi * r ** 2",
    "#| exporti\ndef _helper():\n    return 1",
    "#| hide\nassert area(1) > 3",
    "#| eval: false\nraise SystemExit('never run')",
    "area(2)",
]


def test_exported_cells_become_the_named_module(tmp_path):
    target = export_module(make_notebook(CELLS), tmp_path / "lib")
    assert target == tmp_path / "lib" / "core" / "maths.py"
    text = target.read_text()
    assert text.splitlines()[2] == "from __future__ import annotations"
    assert "__all__ = ['area']" in text and "assert area" not in text and "area(2)" not in text
    sys.path.insert(0, str(tmp_path / "lib"))
    try:
        module = importlib.import_module("core.maths")
        assert round(module.area(1), 2) == 3.14 and module._helper() == 1
    finally:
        sys.path.remove(str(tmp_path / "lib"))
        sys.modules.pop("core.maths", None)
        sys.modules.pop("core", None)


def test_without_default_exp_the_message_names_the_fix(tmp_path):
    with pytest.raises(NotebookError, match="default_exp"):
        export_module(make_notebook(["#| export\nx = 1"]), tmp_path)


def test_the_cli_command(tmp_path):
    import nbformat

    path = tmp_path / "00_core.ipynb"
    nbformat.write(make_notebook(CELLS), path)
    done = run_cli("export", "module", str(path), "-o", str(tmp_path / "lib"))
    assert done.returncode == 0 and "core/maths.py" in done.stderr
