"""Helpers for execution tests (importable: pytest puts this folder on sys.path)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat

NOTEBOOKS = Path(__file__).parent / "notebooks"


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
    return "".join(o.get("text", "") for c in executed_cells(path) for o in c.get("outputs", ())
                   if o.get("output_type") == "stream")
