"""The in-place modification rules: which variable a statement may change without rebinding it.

``x.a = 1``, ``x[i] = 1``, ``del x[i]``, ``x.append(1)`` and passing ``x`` to any call not known to
be pure may all change the object ``x`` names; a step that does so produces ``x`` again.
"""

from __future__ import annotations

import ast

# Builtins known not to modify their arguments; passing a value to any other call "may modify" it.
PURE_CALLS = frozenset(
    {
        "print",
        "len",
        "isinstance",
        "issubclass",
        "str",
        "int",
        "float",
        "bool",
        "repr",
        "type",
        "sorted",
        "list",
        "dict",
        "tuple",
        "set",
        "frozenset",
        "sum",
        "min",
        "max",
        "abs",
        "round",
        "range",
        "enumerate",
        "zip",
        "any",
        "all",
        "hasattr",
        "getattr",
        "id",
        "hash",
        "format",
        "iter",
        "reversed",
        "map",
        "filter",
        "display",
        "divmod",
        "pow",
        "chr",
        "ord",
        "bytes",
        "hex",
        "bin",
        "oct",
        "callable",
        "vars",
        "dir",
        "ascii",
        "complex",
        "slice",
        "open",
    }
)


def modified_root(node: ast.expr) -> ast.Name | None:
    """The variable an in-place change to ``node`` lands on (``x`` for ``x.a[0]`` or
    ``x.f().g``), or None when the expression has no named root (``f()[0]``)."""
    base = node
    while isinstance(base, (ast.Attribute, ast.Subscript, ast.Call)):
        base = base.func if isinstance(base, ast.Call) else base.value
    return base if isinstance(base, ast.Name) else None


def is_pure_call(func: ast.expr) -> bool:
    """Whether a call to ``func`` is known to leave its arguments unchanged."""
    return isinstance(func, ast.Name) and func.id in PURE_CALLS


def passed_variable(arg: ast.expr) -> ast.Name | None:
    """The variable an argument passes as is (``x`` or ``*x``), which the callee may modify."""
    value = arg.value if isinstance(arg, ast.Starred) else arg
    return value if isinstance(value, ast.Name) else None
