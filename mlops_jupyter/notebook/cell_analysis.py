"""Static analysis of one notebook cell: which globals it reads, and which names it assigns.

`%%track` records as params the simple-typed globals a cell READS before assigning them, and
as metrics the numbers it ASSIGNS at top level; both come from here, without running anything.
Cells are read as the Python IPython runs (`%` and `!` lines turned into calls by IPython's own
transformer), so one magic line does not hide the rest of the cell.
"""

from __future__ import annotations

import ast
import math
import numbers
from dataclasses import dataclass, field
from typing import Any

from IPython.core.inputtransformer2 import TransformerManager

_IGNORED = frozenset({"In", "Out", "get_ipython", "exit", "quit", "display", "print"})
_MAX_ITEMS = 20
_MAX_TEXT = 500
_TRANSFORMER = TransformerManager()  # IPython's static transforms; needs no running shell


@dataclass
class CellNames:
    """Names a cell reads from the global namespace, and names it binds at top level."""

    reads: list[str] = field(default_factory=list)
    assigns: list[str] = field(default_factory=list)
    binds: set[str] = field(default_factory=set)


def _targets(node: ast.AST) -> list[str]:
    """Plain names bound by an assignment target (tuple unpacking included)."""
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, (ast.Tuple, ast.List)):
        return [n for elt in node.elts for n in _targets(elt)]
    if isinstance(node, ast.Starred):
        return _targets(node.value)
    return []


class _Loads(ast.NodeVisitor):
    """Collects global names loaded in a statement, skipping names local to nested scopes."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self._local: list[set[str]] = []

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load) and not any(node.id in s for s in self._local):
            self.names.append(node.id)

    def _scoped(self, node: ast.AST, bound: set[str]) -> None:
        self._local.append(bound)
        self.generic_visit(node)
        self._local.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for deco in node.decorator_list:
            self.visit(deco)
        args = node.args
        bound = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)}
        bound |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
        bound |= {n.id for n in ast.walk(node) if isinstance(n, ast.Name)
                  and isinstance(n.ctx, ast.Store)}
        self._local.append(bound)
        for stmt in node.body:
            self.visit(stmt)
        self._local.pop()

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        """``x += 1`` reads ``x`` before it assigns it."""
        if isinstance(node.target, ast.Name):
            self.visit_Name(ast.Name(id=node.target.id, ctx=ast.Load()))
        self.generic_visit(node)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._scoped(node, {a.arg for a in node.args.args})

    def _comprehension(self, node: Any) -> None:
        bound = {n for gen in node.generators for n in _targets(gen.target)}
        self._scoped(node, bound)

    visit_ListComp = visit_SetComp = visit_GeneratorExp = visit_DictComp = _comprehension


def python_source(source: str) -> str:
    """The cell as the Python that IPython runs, for static analysis.

    `%line` magics, `!shell` lines and `x = !cmd` become the calls IPython makes of them (their
    arguments stay opaque strings); a cell magic (`%%track`, `%%time`) is read as its body, the
    code it runs. Text the transformer cannot read comes back unchanged.
    """
    try:
        code = _TRANSFORMER.transform_cell(source)
    except Exception:  # noqa: BLE001 - IPython's tokenizer on odd input: analyse the raw text
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
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
            and call.func.attr == "run_cell_magic" and isinstance(call.func.value, ast.Call)
            and isinstance(call.func.value.func, ast.Name)
            and call.func.value.func.id == "get_ipython" and len(call.args) == 3):
        return None
    body = call.args[2]
    return body.value if isinstance(body, ast.Constant) and isinstance(body.value, str) else None


def analyse_cell(source: str) -> CellNames:
    """Reads-before-assignment and top-level assignments of a cell, in source order.

    The cell is read through `python_source`. One that still does not parse (a typo, a cell
    magic whose body is not Python) yields empty results: the caller records less, it never
    fails.
    """
    try:
        tree = ast.parse(python_source(source))
    except (SyntaxError, ValueError):  # ValueError: a NUL byte in the source
        return CellNames()
    out, bound = CellNames(), set()
    for stmt in tree.body:
        stored = _stored_names(stmt)
        loads = _Loads()
        loads.visit(stmt)
        local = stored["other"]  # loop/with targets are bound before their body reads them
        for name in loads.names:
            if name not in bound and name not in local and name not in out.reads \
                    and name not in _IGNORED:
                out.reads.append(name)
        for name in stored["assign"]:
            if name not in out.assigns:
                out.assigns.append(name)
        bound |= set(stored["assign"]) | stored["other"]
    out.binds = bound
    return out


def _stored_names(stmt: ast.stmt) -> dict[str, Any]:
    """Names a top-level statement binds: by assignment (a list, in source order), and
    otherwise (a set: imports, defs, loops)."""
    assign: dict[str, None] = {}  # ordered: `a, b = ...` assigns a then b
    other: set[str] = set()
    if isinstance(stmt, ast.Assign):
        for target in stmt.targets:
            assign.update(dict.fromkeys(_targets(target)))
    elif isinstance(stmt, (ast.AugAssign, ast.AnnAssign)) and stmt.target is not None:
        assign.update(dict.fromkeys(_targets(stmt.target)))
    elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
        other.update((a.asname or a.name).split(".")[0] for a in stmt.names)
    elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        other.add(stmt.name)
    for node in ast.walk(stmt):  # loop targets, with-as, walrus: bound but not "assigned"
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) \
                and node.id not in assign:
            other.add(node.id)
    return {"assign": list(assign), "other": other}


def is_simple_value(value: Any, depth: int = 0) -> bool:
    """bool/int/float/str/None, or a short list/tuple/dict of those: worth recording as a param."""
    if value is None or isinstance(value, (bool, int, float)):
        return not isinstance(value, float) or math.isfinite(value) or depth == 0
    if isinstance(value, str):
        return len(value) <= _MAX_TEXT
    if depth == 0 and isinstance(value, (list, tuple)):
        return len(value) <= _MAX_ITEMS and all(is_simple_value(v, 1) for v in value)
    if depth == 0 and isinstance(value, dict):
        return len(value) <= _MAX_ITEMS and all(
            isinstance(k, str) and is_simple_value(v, 1) for k, v in value.items())
    return False


def as_metric(value: Any) -> float | None:
    """A number assigned by a cell as a float metric (numpy scalars too), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Real):
        return float(value)
    if getattr(value, "shape", None) == () and hasattr(value, "item"):
        item = value.item()
        return float(item) if isinstance(item, numbers.Real) and not isinstance(item, bool) else None
    return None
