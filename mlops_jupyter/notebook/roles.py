"""Cell roles (parameters, injected, step, after, skip, test, and nbdev's export, hide and
module): one table of the ways tools mark them.

Every question about a cell's role, by every command, magic and route, is answered from
``ROLE_SOURCES``: cell tags, ``#| key: value`` comment lines at the top of a cell (Quarto/nbdev
style, after an optional ``%%cell_magic`` line), Kale's tags and papermill's injected cell. Adding
a tool's convention is adding a row.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Literal

from mlops_jupyter.errors import NotebookError

Where = Literal["tag", "comment", "first_line"]
_TAG_OR_COMMENT: frozenset[Where] = frozenset({"tag", "comment"})


@dataclass(frozen=True)
class RoleSource:
    """One way a tool marks a role: the word it writes, where it writes it, and our role."""

    word: str
    role: str  # a field of ``Roles``
    where: frozenset[Where]
    tool: str
    takes_names: bool = False  # ``word:NAME[,NAME]`` rather than a bare flag
    expects: str = ""  # a flag set only by this value (``#| eval: false``), any other ignored
    takes_text: bool = False  # ``word: TEXT`` stored as it is (nbdev's ``default_exp a.b``)


ROLE_SOURCES: tuple[RoleSource, ...] = (
    RoleSource("parameters", "parameters", _TAG_OR_COMMENT, "papermill, Quarto"),
    RoleSource("skip", "skip", _TAG_OR_COMMENT, "mlops-jupyter, Kale"),
    RoleSource("test", "test", _TAG_OR_COMMENT, "mlops-jupyter"),
    RoleSource("step", "step", _TAG_OR_COMMENT, "mlops-jupyter", takes_names=True),
    RoleSource("after", "after", _TAG_OR_COMMENT, "mlops-jupyter", takes_names=True),
    RoleSource("pipeline-parameters", "parameters", frozenset({"tag"}), "Kale"),
    RoleSource("block", "step", frozenset({"tag"}), "Kale", takes_names=True),
    RoleSource("prev", "after", frozenset({"tag"}), "Kale", takes_names=True),
    RoleSource("injected-parameters", "injected", frozenset({"tag"}), "papermill"),
    # nbdev (and Quarto): a cell not evaluated is not run by export, convert or run either
    RoleSource("eval", "no_eval", frozenset({"comment"}), "nbdev, Quarto", expects="false"),
    RoleSource("notest", "no_eval", frozenset({"comment"}), "nbdev"),  # its default tst_flags
    RoleSource("export", "export", frozenset({"comment"}), "nbdev"),
    RoleSource("exporti", "exporti", frozenset({"comment"}), "nbdev"),
    RoleSource("exports", "export", frozenset({"comment"}), "nbdev"),
    RoleSource("hide", "hide", frozenset({"comment"}), "nbdev"),
    RoleSource("default_exp", "module", frozenset({"comment"}), "nbdev", takes_text=True),
    # papermill's injected cell begins with this comment: how kernel history, which has no tags,
    # recognises it
    RoleSource("# Parameters", "injected", frozenset({"first_line"}), "papermill"),
)

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_HEADING = re.compile(r"^#{1,3}\s+(\S.*)$")


@dataclass
class Roles:
    """What a cell is for. ``injected``: papermill's cell of injected parameter values."""

    parameters: bool = False
    injected: bool = False
    skip: bool = False
    test: bool = False
    step: str | None = None
    after: tuple[str, ...] = ()
    no_eval: bool = False  # `#| eval: false`: not run by export, convert or run (nbdev, Quarto)
    export: bool = False  # nbdev's `#| export`: the cell goes to the notebook's module
    exporti: bool = False  # nbdev's `#| exporti`: exported, but kept out of `__all__`
    hide: bool = False  # nbdev's `#| hide`: runs, but is not part of the documentation
    module: str | None = None  # nbdev's `#| default_exp NAME`: the module exported cells form


@dataclass
class Cell(Roles):
    """A code cell with its roles read and its role comment lines removed from the source."""

    index: int = 0
    source: str = ""
    line_numbers: list[int] = field(default_factory=list)
    execution_count: int | None = None
    magic_line: str | None = None
    heading: str | None = None  # the markdown heading just above this cell, if any

    def original_line(self, line: int) -> int:
        """Map a 1-based line of ``source`` to the 1-based line in the notebook cell."""
        if 1 <= line <= len(self.line_numbers):
            return self.line_numbers[line - 1]
        return line


def cell_text(cell: Mapping[str, Any]) -> str:
    """A notebook cell's source as one string (nbformat allows a list of lines)."""
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def cell_tags(cell: Mapping[str, Any]) -> list[str]:
    """A notebook cell's metadata tags as strings."""
    return [str(tag) for tag in (cell.get("metadata") or {}).get("tags") or []]


def roles_of(source: str, tags: Iterable[str] = ()) -> Roles:
    """The roles of a cell with this source and these tags; malformed role names are ignored."""
    cell = Cell()
    _read_source(cell, source, strict=False)
    _read_tags(cell, tags, strict=False)
    return Roles(**{f.name: getattr(cell, f.name) for f in fields(Roles)})


def cell_roles(cell: Mapping[str, Any]) -> Roles:
    """The roles of a notebook cell (a dict or NotebookNode); markdown and raw cells have none."""
    if cell.get("cell_type") != "code":
        return Roles()
    return roles_of(cell_text(cell), cell_tags(cell))


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
            heading = _heading(cell_text(raw)) or heading
        if raw.get("cell_type") != "code":
            continue
        cell = Cell(index=index, heading=heading, execution_count=raw.get("execution_count"))
        heading = None
        _read_source(cell, cell_text(raw), strict=True)
        _read_tags(cell, cell_tags(raw), strict=True)
        cells.append(cell)
    return cells


def _heading(source: str) -> str | None:
    for line in source.splitlines():
        match = _HEADING.match(line)
        if match:
            return match.group(1).strip()
    return None


def _lookup(word: str, where: Where) -> RoleSource | None:
    for source in ROLE_SOURCES:
        if source.word == word and where in source.where:
            return source
    return None


def _read_tags(cell: Cell, tags: Iterable[str], strict: bool) -> None:
    for tag in tags:
        key, _, value = tag.partition(":")
        _apply(cell, _lookup(key.strip(), "tag"), value, "tag", strict)


def _read_source(cell: Cell, source: str, strict: bool) -> None:
    """Roles from the header (``#|`` lines, a first ``%%magic`` line, papermill's comment);
    the role lines are removed from ``cell.source``."""
    kept: list[str] = []
    numbers: list[int] = []
    in_header = True
    first_line = True
    for number, line in enumerate(source.splitlines(), start=1):
        stripped = line.strip()
        if first_line and stripped:
            first_line = False
            if _lookup(stripped, "first_line") is not None:
                _apply(cell, _lookup(stripped, "first_line"), "", "first line", strict)
        if in_header and number == 1 and stripped.startswith("%%"):
            cell.magic_line = stripped
        elif in_header and stripped.startswith("#|"):
            text = stripped[2:].strip()
            key, _, value = text.partition(":")
            if _lookup(key.strip(), "comment") is None:  # nbdev: `#| default_exp core`
                key, _, value = text.partition(" ")
            if _apply(cell, _lookup(key.strip(), "comment"), value, "comment", strict):
                continue
        elif in_header and stripped:
            in_header = False
        kept.append(line)
        numbers.append(number)
    cell.source = "\n".join(kept)
    cell.line_numbers = numbers


def _apply(cell: Cell, source: RoleSource | None, value: str, where: str, strict: bool) -> bool:
    """Set the role on the cell; False when the text is not a role (it then stays code)."""
    if source is None:
        return False
    value = value.strip()
    if source.takes_text:
        if not value:
            return False
        setattr(cell, source.role, value.split()[0])
        return True
    if source.expects:
        if value.lower() != source.expects:
            return False
        setattr(cell, source.role, True)
        return True
    if not source.takes_names:
        if value:
            return False
        setattr(cell, source.role, True)
        return True
    names = [v.strip() for v in value.split(",") if v.strip()]
    bad = [name for name in names if not _NAME.match(name)]
    if bad and strict:
        raise NotebookError(
            f"cell {cell.index}: {source.word} name {bad[0]!r} in a {where} is not a Python "
            f"identifier; expected e.g. `{source.word}:load_data` (letters, digits, underscores)"
        )
    names = [name for name in names if name not in bad]
    if not names:
        return False
    if source.role == "step":
        cell.step = names[0]
    else:
        cell.after = tuple(dict.fromkeys(cell.after + tuple(names)))
    return True
