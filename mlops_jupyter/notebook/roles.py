"""Cell roles (parameters, step, after, skip, test) from cell tags and `#| ` comment lines."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mlops_jupyter.errors import NotebookError

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_KEYS = {"parameters", "skip", "test", "step", "after"}
_KALE = {"block": "step", "prev": "after", "pipeline-parameters": "parameters"}
_HEADING = re.compile(r"^#{1,3}\s+(\S.*)$")


@dataclass
class Cell:
    """A code cell with its roles read and its role comment lines removed from the source."""

    index: int
    source: str
    line_numbers: list[int]
    execution_count: int | None = None
    parameters: bool = False
    skip: bool = False
    test: bool = False
    step: str | None = None
    after: tuple[str, ...] = ()
    magic_line: str | None = None
    heading: str | None = None  # the markdown heading just above this cell, if any

    def original_line(self, line: int) -> int:
        """Map a 1-based line of ``source`` to the 1-based line in the notebook cell."""
        if 1 <= line <= len(self.line_numbers):
            return self.line_numbers[line - 1]
        return line


def read_cells(nb: Mapping[str, Any]) -> list[Cell]:
    """Read every code cell's roles; markdown and raw cells are left out.

    Args:
        nb: A notebook dict whose cell sources are strings (see ``read_notebook``).

    Returns:
        One ``Cell`` per code cell, in notebook order, indexed by position in ``nb["cells"]``.

    Raises:
        NotebookError: a ``step:``/``after:`` role names something that is not an identifier.
    """
    cells = []
    heading = None
    for index, raw in enumerate(nb.get("cells", [])):
        if raw.get("cell_type") == "markdown":
            heading = _heading(raw.get("source", "")) or heading
        if raw.get("cell_type") != "code":
            continue
        cell = _parse_comments(index, raw.get("source", ""))
        cell.heading, heading = heading, None
        cell.execution_count = raw.get("execution_count")
        for tag in raw.get("metadata", {}).get("tags") or []:
            _apply_role(cell, _kale(str(tag)), from_tag=True)
        cells.append(cell)
    return cells


def _heading(source: str) -> str | None:
    for line in source.splitlines():
        match = _HEADING.match(line)
        if match:
            return match.group(1).strip()
    return None


def _parse_comments(index: int, source: str) -> Cell:
    lines = source.splitlines()
    kept: list[str] = []
    numbers: list[int] = []
    cell = Cell(index=index, source="", line_numbers=[])
    in_header = True
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if in_header and number == 1 and stripped.startswith("%%"):
            cell.magic_line = stripped
        elif in_header and stripped.startswith("#|"):
            if _apply_role(cell, stripped[2:].strip(), from_tag=False):
                continue
        elif in_header and stripped:
            in_header = False
        kept.append(line)
        numbers.append(number)
    cell.source = "\n".join(kept)
    cell.line_numbers = numbers
    return cell


def _kale(tag: str) -> str:
    """Kale's tags as ours: `block:NAME` is a step, `prev:NAME` an after, `pipeline-parameters`."""
    key, sep, value = tag.partition(":")
    key = _KALE.get(key.strip(), key)
    return f"{key}{sep}{value}"


def _apply_role(cell: Cell, text: str, from_tag: bool) -> bool:
    key, _, value = text.partition(":")
    key, value = key.strip(), value.strip()
    if key not in _KEYS:
        return False
    if key in {"parameters", "skip", "test"}:
        if value:
            return False
        setattr(cell, key, True)
        return True
    names = [v.strip() for v in value.split(",") if v.strip()]
    for name in names:
        if not _NAME.match(name):
            where = "tag" if from_tag else "comment"
            raise NotebookError(
                f"cell {cell.index}: {key} name {name!r} in a {where} is not a Python identifier; "
                f"expected e.g. `{key}:load_data` (letters, digits, underscores)"
            )
    if not names:
        return False
    if key == "step":
        cell.step = names[0]
    else:
        cell.after = tuple(dict.fromkeys(cell.after + tuple(names)))
    return True
