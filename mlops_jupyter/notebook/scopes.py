"""The symbol-table view of notebook code: which globals each function reads, which it assigns
with ``global``, and every name top-level code binds.

Python's own ``symtable`` decides scopes here, so closures, comprehensions and class bodies are
resolved as the interpreter resolves them.
"""

from __future__ import annotations

import ast
import builtins
import symtable

# Names every kernel has without a cell binding them: Python's builtins and what IPython adds.
BUILTINS = frozenset(dir(builtins)) | {"display", "get_ipython", "In", "Out", "__file__"}


def function_globals(code: str) -> dict[str, set[str]]:
    """Globals each function or class defined at the top of ``code`` reads when it runs, by name;
    a call to it reads them then, not where it is defined.

    Comprehensions, generator expressions and lambdas have scopes of their own too, but run
    where they are written (a lambda is almost always passed straight to a call), so their reads
    are the cell's own reads, not deferred ones.
    """
    table = symtable.symtable(code, "<cell>", "exec")
    defined = {
        node.name
        for node in ast.walk(ast.parse(code))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
    }
    found: dict[str, set[str]] = {}
    for child in table.get_children():
        if child.get_type() in ("function", "class") and child.get_name() in defined:
            names: set[str] = set()
            _collect_globals(child, names, top=child.get_type() == "class")
            found[child.get_name()] = names
    return found


def _collect_globals(table: symtable.SymbolTable, names: set[str], top: bool = False) -> None:
    if not top:  # a class body runs at definition time; its reads are not deferred
        for sym in table.get_symbols():
            read = sym.is_referenced() or (sym.is_declared_global() and sym.is_assigned())
            if sym.is_global() and read and sym.get_name() not in BUILTINS:
                names.add(sym.get_name())
    for child in table.get_children():
        _collect_globals(child, names)


def assigned_globals(code: str) -> list[str]:
    """Names that functions in ``code`` assign with a ``global`` statement."""
    found: list[str] = []

    def walk(table: symtable.SymbolTable) -> None:
        for child in table.get_children():
            found.extend(
                s.get_name()
                for s in child.get_symbols()
                if s.is_declared_global() and s.is_assigned()
            )
            walk(child)

    walk(symtable.symtable(code, "<cell>", "exec"))
    return found


def top_level_bindings(code: str) -> list[str]:
    """Every name that top-level ``code`` binds (assignment, import, def, class, del, for)."""
    table = symtable.symtable(code, "<main>", "exec")
    return [s.get_name() for s in table.get_symbols() if s.is_assigned() or s.is_imported()]
