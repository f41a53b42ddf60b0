"""Name usage of one block of code: reads before writes, writes, possible in-place modifications.

The one static analysis of notebook code: the converter's steps and ``%%track``'s cells
(``cell_analysis.analyse_cell``) both read names through ``scan``, so they cannot disagree on
what a cell reads or assigns.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from mlops_jupyter.notebook.mutation import is_pure_call, modified_root, passed_variable
from mlops_jupyter.notebook.scopes import assigned_globals, function_globals

_DYNAMIC = frozenset({"globals", "locals", "vars", "exec", "eval"})
# Runtime helpers that translated magics call (see codegen.RUNTIME_HELPERS).
GENERATED = frozenset(
    {
        "_sh",
        "_sh_lines",
        "_now",
        "_print_time",
        "_expand",
        "_write_file",
        "_timeit",
        "_capture",
        "_cd",
    }
)
_SHELL_NAME = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)")


@dataclass
class Usage:
    """How a block of top-level code uses names, in top-to-bottom order."""

    reads: dict[str, int] = field(default_factory=dict)  # name -> first line read before written
    writes: list[str] = field(default_factory=list)  # every top-level binding, in order
    assigned: list[str] = field(default_factory=list)  # names of top-level `x = ...` statements
    modified: dict[str, int] = field(default_factory=dict)  # name -> line of possible mutation
    deleted: set[str] = field(default_factory=set)
    calls: set[str] = field(default_factory=set)
    deferred: dict[str, set[str]] = field(
        default_factory=dict
    )  # function/class -> globals it reads
    ambiguous: list[tuple[int, str]] = field(default_factory=list)
    only_definitions: bool = True
    star_import: bool = False
    global_writes: set[str] = field(default_factory=set)  # assigned by functions via `global`
    ipython_calls: list[int] = field(default_factory=list)  # lines calling get_ipython()


def scan(code: str, known_deferred: dict[str, set[str]] | None = None) -> Usage:
    """Analyse top-level code (already plain Python) as a notebook kernel would run it.

    Args:
        code: The block's source.
        known_deferred: Globals read by functions defined in earlier blocks, by function name;
            calling one of them reads those globals.

    Returns:
        The block's ``Usage``.

    Raises:
        SyntaxError: the code is not valid Python.
    """
    tree = ast.parse(code)
    usage = Usage()
    usage.deferred = function_globals(code)
    if "global" in code:
        usage.global_writes = set(assigned_globals(code))
    scanner = _Scanner(usage, {**(known_deferred or {}), **usage.deferred})
    for node in tree.body:
        if not _is_definition(node):
            usage.only_definitions = False
        scanner.visit(node)
        usage.assigned += [n for n in _assignment_names(node) if n not in usage.assigned]
    return usage


def closure_reads(usage: Usage, bound: Iterable[str] = ()) -> list[str]:
    """Globals that functions (and methods) defined in the block read, and the block does not
    bind itself: a function may run after the block (a callback, a later cell), so what it
    reads counts as read by the block. Names in ``bound`` are known from elsewhere."""
    skip = set(bound) | set(usage.writes) | usage.global_writes
    found: list[str] = []
    for names in usage.deferred.values():
        found += [name for name in sorted(names) if name not in skip and name not in found]
    return found


def _assignment_names(node: ast.stmt) -> list[str]:
    """Plain names an assignment statement binds (``x = ...``, ``x += ...``, ``x: T = ...``,
    tuple unpacking); a loop, ``with`` or import binds names too, but assigns none."""
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, ast.AugAssign) or (isinstance(node, ast.AnnAssign) and node.value):
        targets = [node.target]
    else:
        return []
    names: list[str] = []
    while targets:
        target = targets.pop(0)
        if isinstance(target, ast.Name):
            names.append(target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            targets[:0] = target.elts
        elif isinstance(target, ast.Starred):
            targets.insert(0, target.value)
    return names


def _generated_lookup(func: ast.expr) -> bool:
    """``mlops_jupyter.track_cell([...], locals(), globals())``, ``_track.metrics(...)`` or
    ``_track.models(...)``: the calls a translated ``%%track`` cell makes
    (convert/track_code.py), which read the names they list from the namespaces they are given."""
    return (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and (func.value.id, func.attr)
        in {("mlops_jupyter", "track_cell"), ("_track", "metrics"), ("_track", "models")}
    )


def _is_definition(node: ast.stmt) -> bool:
    if isinstance(
        node, (ast.Import, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Pass)
    ):
        return True
    if isinstance(node, ast.ImportFrom):
        return True
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


class _Scanner(ast.NodeVisitor):
    def __init__(self, usage: Usage, deferred: dict[str, set[str]]) -> None:
        self.usage = usage
        self.deferred = deferred
        self.defined: set[str] = set()
        self.local: list[set[str]] = []

    def load(self, name: str, line: int) -> None:
        if any(name in scope for scope in self.local):
            return
        if name not in self.defined and name not in self.usage.reads:
            self.usage.reads[name] = line

    def store(self, name: str) -> None:
        if self.local:
            self.local[-1].add(name)
            return
        self.defined.add(name)
        self.usage.deleted.discard(name)
        if name not in self.usage.writes:
            self.usage.writes.append(name)

    def modify(self, node: ast.expr, line: int) -> None:
        base = modified_root(node)
        if base is not None and not any(base.id in s for s in self.local):
            self.load(base.id, line)
            self.usage.modified.setdefault(base.id, line)

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self.load(node.id, node.lineno)
        elif isinstance(node.ctx, ast.Store):
            self.store(node.id)
        else:
            self.load(node.id, node.lineno)
            self.defined.discard(node.id)
            self.usage.deleted.add(node.id)

    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        for target in node.targets:
            self._target(target)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)
            self._target(node.target)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.visit(node.value)
        if isinstance(node.target, ast.Name):
            self.load(node.target.id, node.lineno)
            self.store(node.target.id)
        else:
            self._target(node.target)

    def _target(self, target: ast.expr) -> None:
        if isinstance(target, (ast.Attribute, ast.Subscript)):
            if isinstance(target, ast.Subscript):
                self.visit(target.slice)
            self.modify(target, target.lineno)
        elif isinstance(target, ast.Starred):
            self._target(target.value)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._target(element)
        else:
            self.visit(target)

    def visit_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            if isinstance(target, (ast.Attribute, ast.Subscript)):
                self.modify(target, node.lineno)
            else:
                self.visit(target)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if _generated_lookup(func):  # a translated %%track: its names are listed, not dynamic
            names = node.args[0] if node.args else None
            for element in names.elts if isinstance(names, ast.List) else []:
                if isinstance(element, ast.Constant) and isinstance(element.value, str):
                    self.load(element.value, node.lineno)
            return
        if isinstance(func, ast.Name) and func.id in GENERATED:
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                for name in _SHELL_NAME.findall(first.value):
                    self.load(name, node.lineno)
            for arg in node.args[2:]:  # `_timeit(code, namespace, (names it reads))`
                self.visit(arg)
            return
        if isinstance(func, ast.Name):
            if func.id == "get_ipython" and "get_ipython" not in self.defined:
                self.usage.ipython_calls.append(node.lineno)
            if func.id in _DYNAMIC and func.id not in self.defined:
                self.usage.ambiguous.append(
                    (
                        node.lineno,
                        f"{func.id}() reads or writes names that static analysis cannot see",
                    )
                )
            self.usage.calls.add(func.id)
            for name in sorted(self.deferred.get(func.id, ())):
                self.load(name, node.lineno)
        elif isinstance(func, ast.Attribute):
            self.modify(func.value, node.lineno)
        self.visit(func)
        pure = is_pure_call(func)
        for arg in [*node.args, *(k.value for k in node.keywords)]:
            self.visit(arg)
            passed = None if pure else passed_variable(arg)
            if passed is not None:
                self.modify(passed, node.lineno)

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        self.visit(node.iter)
        self._target(node.target)
        for stmt in node.body + node.orelse:
            self.visit(stmt)

    visit_AsyncFor = visit_For

    def visit_With(self, node: ast.With | ast.AsyncWith) -> None:
        for item in node.items:
            self.visit(item.context_expr)
            if item.optional_vars is not None:
                self._target(item.optional_vars)
        for stmt in node.body:
            self.visit(stmt)

    visit_AsyncWith = visit_With

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.type is not None:
            self.visit(node.type)
        if node.name:
            self.store(node.name)
        for stmt in node.body:
            self.visit(stmt)

    def visit_Import(self, node: ast.Import | ast.ImportFrom) -> None:
        for alias in node.names:
            if alias.name == "*":  # its names are module-level; unknown names may come from it
                self.usage.star_import = True
            else:
                self.store(alias.asname or alias.name.split(".")[0])

    visit_ImportFrom = visit_Import

    def visit_FunctionDef(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
    ) -> None:
        for deco in node.decorator_list:
            self.visit(deco)
        if isinstance(node, ast.ClassDef):
            for base in [*node.bases, *(k.value for k in node.keywords)]:
                self.visit(base)
            self.local.append(set())
            for stmt in node.body:
                if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    self.visit(stmt)
                else:
                    self._signature(stmt)
                    self.local[-1].add(stmt.name)
            self.local.pop()
        else:
            self._signature(node)
        self.store(node.name)

    visit_AsyncFunctionDef = visit_ClassDef = visit_FunctionDef

    def _signature(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        args = node.args
        for default in [*args.defaults, *(d for d in args.kw_defaults if d is not None)]:
            self.visit(default)
        for deco in node.decorator_list if self.local else ():
            self.visit(deco)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        for default in [*node.args.defaults, *(d for d in node.args.kw_defaults if d is not None)]:
            self.visit(default)
        params = {a.arg for a in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]}
        params |= {a.arg for a in (node.args.vararg, node.args.kwarg) if a is not None}
        self.local.append(params)
        self.visit(node.body)
        self.local.pop()

    def _comprehension(self, node: ast.expr, results: list[ast.expr]) -> None:
        generators = node.generators  # type: ignore[attr-defined]
        self.visit(generators[0].iter)
        self.local.append(set())
        for index, gen in enumerate(generators):
            if index:
                self.visit(gen.iter)
            self._target(gen.target)
            for cond in gen.ifs:
                self.visit(cond)
        for result in results:
            self.visit(result)
        self.local.pop()

    def visit_ListComp(self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp) -> None:
        self._comprehension(node, [node.elt])

    visit_SetComp = visit_GeneratorExp = visit_ListComp

    def visit_DictComp(self, node: ast.DictComp) -> None:
        self._comprehension(node, [node.key, node.value])

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        saved, self.local = self.local, []
        self.store(node.target.id)
        self.local = saved

    def visit_Global(self, node: ast.Global) -> None:
        return None

    def visit_Nonlocal(self, node: ast.Nonlocal) -> None:
        return None
