"""Static analysis of one notebook cell: which globals it reads, and which names it assigns.

`%%track` records as params the simple-typed globals a cell READS before assigning them, and
as metrics the numbers it ASSIGNS at top level; both come from here, without running anything.
The analysis itself is the converter's (``names.scan``), so the two agree on every cell.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mlops_jupyter.notebook.names import closure_reads, scan

_IGNORED = frozenset({"In", "Out", "get_ipython", "exit", "quit", "display", "print"})


@dataclass
class CellNames:
    """Names a cell reads from the global namespace, and names it binds at top level."""

    reads: list[str] = field(default_factory=list)
    assigns: list[str] = field(default_factory=list)
    binds: set[str] = field(default_factory=set)


def analyse_cell(source: str) -> CellNames:
    """Reads-before-assignment and top-level assignments of a cell, in source order.

    Reads include the globals of functions the cell defines (``names.closure_reads``), as the
    converter counts them for a step.

    A cell that does not parse (IPython syntax left in it, a typo) yields empty results: the
    caller records less, it never fails.
    """
    try:
        usage = scan(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # ValueError: a NUL byte
        return CellNames()
    reads = [*usage.reads, *(n for n in closure_reads(usage) if n not in usage.reads)]
    return CellNames(reads=[name for name in reads if name not in _IGNORED],
                     assigns=list(usage.assigned), binds=set(usage.writes))
