"""Which statements a kernel template runs for a notebook: its imports, then warm-ups.

The leading cells are the code cells before the first one that imports nothing (the parameters
cell is passed over, wherever it is): their top-level ``import`` statements (and the module of a
``%load_ext``) come first. The top-level imports of every later code cell follow, marked
`LATER`: a template drops such a statement (and what follows it) when it proves unsafe to fork
after, instead of falling back to fresh kernels. Last come warm-ups for what the notebook's
first run would otherwise pay per point, once per process: our tracking's lazily imported
modules and cached package metadata, matplotlib's renderers and fonts, pandas' formatters.
Any other statement of the notebook (``matplotlib.use``, a print) runs in the kernel as usual,
never in the template.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Mapping
from typing import Any

from mlops_jupyter.notebook.roles import cell_roles, cell_text

_LOAD_EXT = re.compile(r"^\s*%load_ext\s+([A-Za-z_][\w.]*)\s*$")

#: Prefix of a statement the template may drop when it is unsafe to fork after (a comment:
#: the statement still compiles as it is).
LATER = "# mlops-jupyter: later cell\n"

#: What a template runs for a ``%load_ext`` of these extensions, rather than importing the
#: package (kept small: our own).
_EXTENSION_MODULES = {"mlops_jupyter": ["import mlops_jupyter.magics.extension"]}

#: Warm-ups run after every import when the notebook imported the top-level package named.
#: mlops_jupyter: provenance's package list, the distributions model pickling asks for, and
#: the modules a first ``%%track`` / ``%runs`` imports (ipywidgets: 0.05-0.08 s; the forked
#: kernels load it as an extension, so its comm target is registered as at a fresh import).
#: matplotlib: one small figure rendered to PNG and SVG (the backends, the font files and the
#: text layout caches a point's first figure would load). Figures are made without pyplot, so
#: no figure is left open in the kernels.
_WARMUPS = {
    "mlops_jupyter": [
        "import mlops_jupyter.tracking.provenance as _p; _p.packages(); _p.python_info(); "
        "_p.host_info()",
        "import mlops_jupyter.tracking.fluent, mlops_jupyter.tracking.artifact_formats, "
        "mlops_jupyter.models.autolog, mlops_jupyter.magics.widgets, ipywidgets",
        "import mlops_jupyter.models.pickling as _m; _m.distribution_roots(); _m.local_modules()",
    ],
    "matplotlib": [
        "import io, matplotlib.figure as _f, matplotlib.backends.backend_agg as _a, "
        "matplotlib.backends.backend_svg\n"
        "_g = _f.Figure(figsize=(2, 1)); _a.FigureCanvasAgg(_g)\n"
        "_g.add_subplot().barh(['a'], [1]); _g.axes[0].set_title('t'); _g.tight_layout()\n"
        "for _x in ('png', 'svg'): _g.savefig(io.BytesIO(), format=_x, bbox_inches='tight')",
    ],
    "pandas": ["import pandas.io.formats.html, pandas.io.formats.string"],
}
#: Warm-ups for two packages used together (pandas' plotting on matplotlib).
_PAIR_WARMUPS = {("matplotlib", "pandas"): ["import pandas.plotting._matplotlib"]}


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
    return found


def _top_level(statement: str) -> set[str]:
    """Top-level package names a statement imports."""
    try:
        nodes = ast.parse(statement.removeprefix(LATER)).body
    except SyntaxError:
        return set()
    names: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def _warmups(statements: list[str]) -> list[str]:
    packages = set().union(*map(_top_level, statements)) if statements else set()
    found = [w for name, ws in _WARMUPS.items() if name in packages for w in ws]
    for pair, ws in _PAIR_WARMUPS.items():
        if packages.issuperset(pair):
            found.extend(ws)
    return [LATER + w for w in found]


def leading_imports(notebook: Mapping[str, Any] | str) -> list[str]:
    """The statements a template runs for `notebook` (a parsed notebook or its JSON): the
    leading cells' imports, the later cells' (marked `LATER`), then the warm-ups."""
    nb = json.loads(notebook) if isinstance(notebook, str) else notebook
    statements: list[str] = []
    leading = True
    for cell in nb.get("cells", ()):
        if cell.get("cell_type") != "code":
            continue
        roles = cell_roles(cell)
        if roles.parameters or roles.injected:
            continue
        found = _cell_imports(cell_text(cell))
        if leading and not found:
            leading = False
        for statement in found or ():
            if statement in statements or LATER + statement in statements:
                continue
            statements.append(statement if leading else LATER + statement)
    if not statements:
        return []
    return statements + _warmups(statements)
