"""Rewrites of a cell's plain-Python code before it is planned: a parameters cell split into its
parameters and its computed lines, ``from __future__`` imports lifted out, and the code after a
successful ``sys.exit()`` dropped (papermill stops there and calls the run a success)."""

from __future__ import annotations

import ast
from dataclasses import replace

from mlops_jupyter.convert.magics import Translation
from mlops_jupyter.notebook.parameters import is_parameter_assignment


def _parse(code: str) -> list[ast.stmt] | None:
    try:
        return ast.parse(code).body
    except SyntaxError:
        return None


def _keep_lines(translation: Translation, keep: set[int]) -> Translation:
    """The translation with every line not in ``keep`` (1-based) blanked; line numbers hold."""
    lines = translation.code.split("\n")
    code = "\n".join(line if n in keep else "" for n, line in enumerate(lines, start=1))
    return replace(translation, code=code)


def _lines(node: ast.stmt) -> set[int]:
    return set(range(node.lineno, (node.end_lineno or node.lineno) + 1))


def split_parameters(translation: Translation) -> tuple[Translation, Translation] | None:
    """Split a parameters cell into its parameter assignments and the rest.

    A value computed from another name (``d = a == 3``, ``n = len(data)``) is not a parameter,
    as papermill reads the cell: it stays in the notebook's body, after the parameters are set,
    instead of going into ``defaults()`` (which runs before any step).

    Returns:
        ``(parameters, rest)``, or None when every statement is a parameter.
    """
    body = _parse(translation.code)
    if not body:
        return None
    params = [n for n in body if is_parameter_assignment(n)]
    rest = [n for n in body if not is_parameter_assignment(n)]
    if not rest:
        return None
    keep: set[int] = set()
    for node in params:
        keep |= _lines(node)
    total = set(range(1, translation.code.count("\n") + 2))
    return _keep_lines(translation, keep), _keep_lines(translation, total - keep)


def lift_future(translation: Translation) -> tuple[Translation, list[str]]:
    """Remove top-level ``from __future__ import ...`` statements (they must open the file).

    Returns:
        The translation without them, and the statements, to write at the top of the output.
    """
    if "__future__" not in translation.code:
        return translation, []
    body = _parse(translation.code) or []
    found = [n for n in body if isinstance(n, ast.ImportFrom) and n.module == "__future__"]
    if not found:
        return translation, []
    lines = translation.code.split("\n")
    statements = []
    for node in found:
        start, end = node.lineno - 1, node.end_lineno or node.lineno
        statements.append(ast.unparse(node))
        lines[start:end] = [""] * (end - start)
    return replace(translation, code="\n".join(lines)), statements


def _successful_exit(node: ast.stmt) -> bool:
    """``sys.exit()``, ``sys.exit(0)``, ``exit()``, ``quit()`` or ``raise SystemExit[(0)]``."""
    if isinstance(node, ast.Raise) and node.exc is not None:
        exc = node.exc
        if isinstance(exc, ast.Name):
            return exc.id == "SystemExit"
        call = exc
        name_ok = isinstance(call, ast.Call) and ast.unparse(call.func) == "SystemExit"
    elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        call = node.value
        name_ok = ast.unparse(call.func) in {"sys.exit", "exit", "quit"}
    else:
        return False
    if not name_ok or not isinstance(call, ast.Call) or call.keywords or len(call.args) > 1:
        return False
    if not call.args:
        return True
    arg = call.args[0]
    return isinstance(arg, ast.Constant) and arg.value in (0, None) and arg.value is not False


def cut_at_exit(translation: Translation) -> Translation | None:
    """The code before a top-level successful exit, or None when the cell has none.

    papermill stops the notebook at ``sys.exit()`` (status 0) and reports success; the
    converted code does the same by leaving out the exit and everything after it.
    """
    if "exit" not in translation.code and "SystemExit" not in translation.code:
        return None
    body = _parse(translation.code) or []
    for node in body:
        if _successful_exit(node):
            lines = translation.code.split("\n")
            kept = lines[: node.lineno - 1]
            note = f"pass  # {lines[node.lineno - 1].strip()}: the notebook ends here (papermill)"
            code = "\n".join([*kept, note])
            return replace(translation, code=code, line_map=translation.line_map[: len(kept) + 1])
    return None
