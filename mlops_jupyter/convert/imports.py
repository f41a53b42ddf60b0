"""Splitting the leading `import` statements off a code cell, so that they go to module level."""

from __future__ import annotations

import ast
from dataclasses import replace

from mlops_jupyter.convert.magics import Translation


def split_leading_imports(translation: Translation) -> tuple[Translation, Translation] | None:
    """Split a cell's leading imports (and dropped magics) from the code that follows them.

    Args:
        translation: The cell's plain-Python code.

    Returns:
        ``(imports, rest)``, or None when the cell does not start with imports followed by other
        statements on later lines.
    """
    if "import" not in translation.code:
        return None
    try:
        body = ast.parse(translation.code).body
    except SyntaxError:
        return None
    count = 0
    for node in body:
        if not (_plain_import(node) or isinstance(node, ast.Pass)):
            break
        count += 1
    if not any(_plain_import(n) for n in body[:count]) or count == len(body):
        return None
    end = body[count - 1].end_lineno or body[count - 1].lineno
    if body[count].lineno <= end:
        return None
    lines = translation.code.split("\n")
    head = Translation(code="\n".join(lines[:end]), line_map=translation.line_map[:end])
    rest = replace(translation, code="\n".join(lines[end:]), line_map=translation.line_map[end:])
    return head, rest


def _plain_import(node: ast.stmt) -> bool:
    if isinstance(node, ast.Import):
        return True
    return (
        isinstance(node, ast.ImportFrom)
        and node.module != "__future__"
        and all(alias.name != "*" for alias in node.names)
    )


def setup_only(code: str) -> bool:
    """True for a cell of imports and calls configuring what it imports
    (``matplotlib.use('agg')``, ``pd.set_option(...)``, ``warnings.filterwarnings(...)``):
    module-level code, like the imports themselves. Seeding calls are not setup (a step must
    re-seed each time it runs) and neither is anything that binds a value."""
    if "import" not in code:
        return False
    try:
        body = ast.parse(code).body
    except SyntaxError:
        return False
    modules: set[str] = set()
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            if any(a.name == "*" for a in node.names) or (
                isinstance(node, ast.ImportFrom) and node.module == "__future__"
            ):
                return False
            modules |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            root = node.value.func
            while isinstance(root, ast.Attribute):
                root = root.value
            calls_module = isinstance(root, ast.Name) and root.id in modules
            if not calls_module or "seed" in ast.unparse(node.value.func):
                return False
        elif not isinstance(node, ast.Pass):
            return False
    return bool(modules)
