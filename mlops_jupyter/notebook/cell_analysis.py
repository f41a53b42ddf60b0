"""Static analysis of one notebook cell: which globals it reads, and which names it assigns.

`%%track` records as params the simple-typed globals a cell READS before assigning them, and
as metrics the numbers it ASSIGNS at top level; both come from here, without running anything.
The analysis itself is the converter's (``names.scan``), so the two agree on every cell. Cells
are read as the Python IPython runs (`%` and `!` lines turned into calls by IPython's own
transformer), so one magic line does not hide the rest of the cell.
"""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass, field

from IPython.core.inputtransformer2 import TransformerManager

from mlops_jupyter.notebook.names import closure_reads, scan

_IGNORED = frozenset({"In", "Out", "get_ipython", "exit", "quit", "display", "print"})
_TRANSFORMER = TransformerManager()  # IPython's static transforms; needs no running shell


@dataclass
class CellNames:
    """Names a cell reads from the global namespace, and names it binds at top level."""

    reads: list[str] = field(default_factory=list)
    assigns: list[str] = field(default_factory=list)
    binds: set[str] = field(default_factory=set)


def python_source(source: str) -> str:
    """The cell as the Python that IPython runs, for static analysis.

    `%line` magics, `!shell` lines and `x = !cmd` become the calls IPython makes of them (their
    arguments stay opaque strings); a cell magic (`%%track`, `%%time`) is read as its body, the
    code it runs. Text the transformer cannot read comes back unchanged.
    """
    try:
        code = _TRANSFORMER.transform_cell(source)
    except Exception:
        return source
    body = _cell_magic_body(code)
    return code if body is None else python_source(body)


def _cell_magic_body(code: str) -> str | None:
    """The body of ``get_ipython().run_cell_magic(name, line, body)``, IPython's cell magic form."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Expr):
        return None
    call = tree.body[0].value
    if not (
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and call.func.attr == "run_cell_magic"
        and isinstance(call.func.value, ast.Call)
        and isinstance(call.func.value.func, ast.Name)
        and call.func.value.func.id == "get_ipython"
        and len(call.args) == 3
    ):
        return None
    body = call.args[2]
    return body.value if isinstance(body, ast.Constant) and isinstance(body.value, str) else None


def analyse_cell(source: str) -> CellNames:
    """Reads-before-assignment and top-level assignments of a cell, in source order.

    Reads include the globals of functions the cell defines (``names.closure_reads``), as the
    converter counts them for a step.

    A cell that does not parse (a typo) yields empty results: the caller records less, it never
    fails. Analysed once per distinct source (every %%track execution asks); each caller gets
    its own copy to change.
    """
    names = _analysed(source)
    return CellNames(list(names.reads), list(names.assigns), set(names.binds))


@functools.lru_cache(maxsize=1024)
def _analysed(source: str) -> CellNames:
    try:
        usage = scan(python_source(source))
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # ValueError: a NUL byte
        return CellNames()
    reads = [*usage.reads, *(n for n in closure_reads(usage) if n not in usage.reads)]
    return CellNames(
        reads=[name for name in reads if name not in _IGNORED],
        assigns=list(usage.assigned),
        binds=set(usage.writes),
    )
