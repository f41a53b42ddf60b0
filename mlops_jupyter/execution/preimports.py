"""Which imports a kernel template runs for a notebook: the imports of its leading code cells.

The leading cells are the code cells before the first one that imports nothing (the parameters
cell is passed over, wherever it is). Only their top-level ``import`` statements (and the
module of a ``%load_ext``) are taken; any other statement in those cells (``matplotlib.use``,
a print) runs in the kernel as usual, never in the template.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Mapping
from typing import Any

from mlops_jupyter.notebook.roles import cell_roles, cell_text

_LOAD_EXT = re.compile(r"^\s*%load_ext\s+([A-Za-z_][\w.]*)\s*$")

#: What a template runs for a ``%load_ext`` of these extensions, rather than importing the
#: package (kept small: our own). Provenance's package list is cached per process and costs
#: ~1 s of metadata reads: computed once in the template, the kernels inherit it.
_EXTENSION_MODULES = {
    "mlops_jupyter": [
        "import mlops_jupyter.magics.extension",
        "import mlops_jupyter.tracking.provenance as _p; _p.packages(); _p.python_info()",
    ]
}


def _cell_imports(text: str) -> list[str] | None:
    """The import statements of one cell, in order; None when it cannot be parsed as Python."""
    found: list[str] = []
    python_lines = []
    for line in text.splitlines():
        match = _LOAD_EXT.match(line)
        if match:
            name = match.group(1)
            found.extend(_EXTENSION_MODULES.get(name, [f"import {name}"]))
        # magics and shell lines are not Python: blank them, keeping line numbers
        python_lines.append("" if line.lstrip().startswith(("%", "!")) else line)
    try:
        tree = ast.parse("\n".join(python_lines))
    except SyntaxError:
        return None
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)) and not (
            isinstance(node, ast.ImportFrom) and node.level
        ):
            found.append(ast.unparse(node))
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
            for name in names:  # tracking from the notebook: warm what its first run needs
                found.extend(_EXTENSION_MODULES.get((name or "").split(".")[0], [])[1:])
    return found


def leading_imports(notebook: Mapping[str, Any] | str) -> list[str]:
    """The import statements a template runs for `notebook` (a parsed notebook or its JSON)."""
    nb = json.loads(notebook) if isinstance(notebook, str) else notebook
    statements: list[str] = []
    for cell in nb.get("cells", ()):
        if cell.get("cell_type") != "code":
            continue
        roles = cell_roles(cell)
        if roles.parameters or roles.injected:
            continue
        found = _cell_imports(cell_text(cell))
        if not found:
            break
        statements.extend(s for s in found if s not in statements)
    return statements
