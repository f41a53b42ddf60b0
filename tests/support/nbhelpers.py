"""Tiny committed notebooks (tests/support/notebooks/) and notebooks built in a test, for unit and
kernel tests alike: `from tests.support.nbhelpers import copy_notebook`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat

NOTEBOOKS = Path(__file__).parent / "notebooks"


def make_notebook(cells: list[str | tuple[str, list[str]]]) -> nbformat.NotebookNode:
    """A Python notebook of code cells, from sources or (source, tags) pairs."""
    nb = nbformat.v4.new_notebook()
    for item in cells:
        source, tags = (item, []) if isinstance(item, str) else item
        nb.cells.append(nbformat.v4.new_code_cell(source, metadata={"tags": tags}))
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


def copy_notebook(name: str, folder: Path) -> Path:
    """Copy a committed test notebook into `folder` (tests never execute the originals)."""
    target = folder / name
    target.write_bytes((NOTEBOOKS / name).read_bytes())
    return target


def executed_cells(path: str | Path) -> list[Any]:
    """The cells of an executed notebook."""
    return list(nbformat.read(str(path), as_version=4).cells)


def stdout_of(path: str | Path) -> str:
    """All stdout text of an executed notebook."""
    return "".join(
        o.get("text", "")
        for c in executed_cells(path)
        for o in c.get("outputs", ())
        if o.get("output_type") == "stream"
    )
