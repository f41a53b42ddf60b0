"""The conversion plan's data model: the blocks a notebook becomes (module code, parameters,
steps, tests), the cells in each, and the findings that make a conversion unfaithful."""

from __future__ import annotations

from dataclasses import dataclass, field

from mlops_jupyter.convert.magics import Translation
from mlops_jupyter.notebook.names import Usage
from mlops_jupyter.notebook.roles import Cell


@dataclass(frozen=True)
class Finding:
    """One problem that makes a conversion unfaithful, located by cell and line."""

    code: str
    cell: int
    line: int
    message: str


@dataclass
class Part:
    """One cell's translated code inside a block."""

    cell: Cell
    translation: Translation
    usage: Usage
    hoist: bool = False  # leading imports split off a cell: always module level


@dataclass
class Block:
    """A unit of the converted program: ``module``, ``parameters``, ``step`` or ``test`` code."""

    kind: str
    name: str
    parts: list[Part] = field(default_factory=list)
    after: tuple[str, ...] = ()
    inputs: list[str] = field(default_factory=list)
    params: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    depends: list[str] = field(default_factory=list)
    shadowed: list[str] = field(default_factory=list)  # module names read, then rebound
    shared: list[str] = field(default_factory=list)  # outputs that may share objects

    @property
    def code(self) -> str:
        """The block's code, cells joined in order."""
        return "\n\n".join(p.translation.code for p in self.parts)

    @property
    def first_cell(self) -> int:
        """Index of the block's first cell in the notebook."""
        return self.parts[0].cell.index


@dataclass
class Plan:
    """The whole notebook analysed: blocks in notebook order plus what they need."""

    blocks: list[Block]
    cells: list[Cell]
    findings: list[Finding]
    module_names: set[str]
    requirements: list[str]
    helpers: set[str]
    imports: set[str]
    immutable: set[str] = field(
        default_factory=set
    )  # parameters whose value cannot change in place
    star_import: bool = False
    deleted_by: dict[str, int] = field(default_factory=dict)
    future: list[str] = field(default_factory=list)  # `from __future__` imports, for the top

    def steps(self) -> list[Block]:
        """Step blocks in notebook order."""
        return [b for b in self.blocks if b.kind == "step"]


def source_line(cell: Cell, translation: Translation, line: int) -> int:
    """The notebook line (as the user sees the cell) of ``line`` in the cell's translated code,
    so that a finding points where the user must look."""
    if 1 <= line <= len(translation.line_map):
        line = translation.line_map[line - 1]
    return cell.original_line(line)
