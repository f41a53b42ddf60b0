"""Static analysis of one notebook cell: which globals it reads, and which names it assigns.

`%%track` records as params the simple-typed globals a cell READS before assigning them, and
as metrics the numbers it ASSIGNS at top level; both come from here, without running anything.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

_IGNORED = frozenset({"In", "Out", "get_ipython", "exit", "quit", "display", "print"})


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

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._scoped(node, {a.arg for a in node.args.args})

    def _comprehension(self, node: Any) -> None:
        bound = {n for gen in node.generators for n in _targets(gen.target)}
        self._scoped(node, bound)

    visit_ListComp = visit_SetComp = visit_GeneratorExp = visit_DictComp = _comprehension


def analyse_cell(source: str) -> CellNames:
    """Reads-before-assignment and top-level assignments of a cell, in source order.

    A cell that does not parse (IPython syntax left in it, a typo) yields empty results: the
    caller records less, it never fails.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
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
        bound |= stored["assign"] | stored["other"]
    out.binds = bound
    return out


def _stored_names(stmt: ast.stmt) -> dict[str, set[str]]:
    """Names a top-level statement binds: by assignment, and otherwise (imports, defs, loops)."""
    assign: set[str] = set()
    other: set[str] = set()
    if isinstance(stmt, ast.Assign):
        for target in stmt.targets:
            assign.update(_targets(target))
    elif isinstance(stmt, (ast.AugAssign, ast.AnnAssign)) and stmt.target is not None:
        assign.update(_targets(stmt.target))
    elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
        other.update((a.asname or a.name).split(".")[0] for a in stmt.names)
    elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        other.add(stmt.name)
    for node in ast.walk(stmt):  # loop targets, with-as, walrus: bound but not "assigned"
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            if node.id not in assign:
                other.add(node.id)
    return {"assign": assign, "other": other}

