"""`export script`: a notebook as one runnable Python script with `main(**params)` and a CLI."""

from __future__ import annotations

import ast
import os
from collections.abc import Iterable
from pathlib import Path

from mlops_jupyter.convert.analysis import plan_notebook
from mlops_jupyter.convert.cliargs import argparse_source
from mlops_jupyter.convert.codegen import helper_source, indent_code, write_atomic
from mlops_jupyter.convert.plan import Block, Part, Plan
from mlops_jupyter.convert.track_code import TRACK_CALL
from mlops_jupyter.errors import NotebookError
from mlops_jupyter.notebook.parameters import ParamSpec, parse_parameters_source
from mlops_jupyter.notebook.read import NotebookLike, read_notebook
from mlops_jupyter.notebook.scopes import top_level_bindings

_MARKER = '"""Script exported by mlops-jupyter'
# Code after which a later cell's imports may mean something else (a new sys.path or folder).
_PATH_CHANGES = ("sys.path", "os.chdir", "site.addsitedir", "importlib")
_GONE = "\x00moved"  # a line moved to module level (compared by identity)


def export_script(
    notebook: NotebookLike, output: str | os.PathLike[str] | None = None, *, overwrite: bool = False
) -> str:
    """Export a notebook as a runnable script.

    Args:
        notebook: Path to the ``.ipynb`` file, or a notebook dict.
        output: Where to write the script; nothing is written when None. The file is written
            through a temporary file, so a failed export leaves ``output`` untouched.
        overwrite: Replace ``output`` even if mlops-jupyter did not write it (a script exported
            earlier is always replaced).

    Returns:
        The script's source.

    Raises:
        NotebookError: the notebook cannot be read, is not Python, or has invalid code; or
            ``output`` is someone else's file (a jupytext pair?) and ``overwrite`` is false.
        UnsupportedMagicError: a magic that has no plain-Python translation.
    """
    if output is not None and not overwrite and _foreign_file(Path(output)):
        raise NotebookError(
            f"{output} exists and was not written by mlops-jupyter (a jupytext pair?); "
            "choose another output, or pass --force (overwrite=True) to replace it"
        )
    nb = read_notebook(notebook, python_only=True)
    plan = plan_notebook(nb)
    name = Path(notebook).name if isinstance(notebook, (str, os.PathLike)) else "a notebook"
    source = render_script(plan, name)
    if output is not None:
        write_atomic(output, source)
    return source


def _foreign_file(path: Path) -> bool:
    if not path.exists():
        return False
    try:
        with path.open(encoding="utf-8") as handle:
            return not handle.readline().startswith(_MARKER)
    except (OSError, UnicodeDecodeError):
        return True


def parameter_specs(plan: Plan) -> list[ParamSpec]:
    """The parameters schema of every parameters block, in order."""
    specs: dict[str, ParamSpec] = {}
    for block in plan.blocks:
        if block.kind == "parameters":
            for spec in parse_parameters_source(block.code):
                specs[spec.name] = spec
    return list(specs.values())


def cell_header(part: Part) -> str:
    """A comment naming the notebook cell a block of code comes from."""
    cell = part.cell
    roles = [r for r, on in (("parameters", cell.parameters), ("test", cell.test)) if on]
    roles += [f"step: {cell.step}"] if cell.step else []
    roles += [f"after: {', '.join(cell.after)}"] if cell.after else []
    suffix = f" [{'; '.join(roles)}]" if roles else ""
    count = f", execution count {cell.execution_count}" if cell.execution_count else ""
    return f"# %% cell {cell.index}{count}{suffix}"


def render_script(plan: Plan, notebook_name: str) -> str:
    """Render the script for an analysed notebook (see ``export_script``)."""
    specs = parameter_specs(plan)
    head, main_parts = [], []
    for block in plan.blocks:
        if block.kind == "module":
            head += [
                f"{cell_header(p)}\n{p.translation.code}"
                for p in block.parts
                if p.translation.code.strip()  # a cell of housekeeping magics leaves nothing
            ]
        elif block.kind != "test":
            main_parts += [(block, p) for p in block.parts]
    hoisted, body = _main_body(main_parts)
    bindings = [n for n in top_level_bindings(body) if n != "_params"] if body.strip() else []
    arg = "_params" if "params" in bindings else "params"
    entry = "run_notebook" if "main" in bindings or "main" in plan.module_names else "main"
    out = [
        f'"""Script exported by mlops-jupyter from {notebook_name}: edit the notebook, then '
        're-export."""'
    ]
    out += plan.future  # `from __future__` imports must come first (after the docstring)
    if plan.requirements:
        out.append("# requirements: " + " ".join(plan.requirements))
    out += [i if i.startswith("from ") else f"import {i}" for i in sorted(plan.imports)]
    if plan.helpers:
        out.append(helper_source(plan.helpers))
    out += hoisted + head
    out.append(f"_PARAMETERS = {tuple(s.name for s in specs)!r}\n")
    out.append(_main_source(arg, bindings, body, entry))
    out.append(_apply_source())
    out.append(argparse_source(specs, f"Run {notebook_name} as a script."))
    out.append(f'if __name__ == "__main__":\n    {entry}(**_parse_args())\n')
    return "\n\n\n".join(s.strip("\n") for s in out if s.strip()) + "\n"


def _main_body(parts: list[tuple[Block, Part]]) -> tuple[list[str], str]:
    hoisted: list[str] = []
    chunks: list[str] = []
    applied = not any(b.kind == "parameters" for b, _ in parts)
    if applied:
        chunks.append("_apply_parameters(params)")
    last_params = max((i for i, (b, _) in enumerate(parts) if b.kind == "parameters"), default=-1)
    moves_path = False  # once a cell may change sys.path or the folder, imports stay put
    rebound = frozenset(_assigned_names(p.translation.code for _, p in parts))
    for index, (_, part) in enumerate(parts):
        code = part.translation.code.replace(TRACK_CALL, f"{TRACK_CALL}*_PARAMETERS, ")
        code, moved = module_only_statements(
            _drop_annotations(code), imports=not moves_path, rebound=rebound
        )
        moves_path = moves_path or any(word in code for word in _PATH_CHANGES)
        if moved:
            hoisted.append(f"{cell_header(part)} (imports)\n" + "\n".join(moved))
        chunks.append(f"{cell_header(part)}\n{code}")
        if index == last_params:
            chunks.append("_apply_parameters(params)")
    return hoisted, "\n\n".join(chunks)


def _assigned_names(codes: Iterable[str]) -> set[str]:
    """Names the code binds other than by importing (assignment, def, class, for, with)."""
    names: set[str] = set()
    for code in codes:
        try:
            tree = ast.parse(code)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
                names.add(node.id)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
    return names


def module_only_statements(
    code: str, imports: bool = False, rebound: frozenset[str] = frozenset()
) -> tuple[str, list[str]]:
    """Move `from x import *` (and, with `imports`, the cell's other top-level imports, kept
    together) out of the function body to module level, and drop top-level `global`. An import
    of a name that other code also binds (`rebound`) stays where it is."""
    if "import" not in code and "global" not in code and "nonlocal" not in code:
        return code, []
    lines = code.split("\n")
    moved = []
    for node in ast.parse(code).body:
        star = isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names)
        plain = (
            imports
            and isinstance(node, (ast.Import, ast.ImportFrom))
            and not (isinstance(node, ast.ImportFrom) and node.level)
            and not {(a.asname or a.name).split(".")[0] for a in node.names} & rebound
        )
        if star or plain or isinstance(node, (ast.Global, ast.Nonlocal)):
            start, end = node.lineno - 1, (node.end_lineno or node.lineno)
            text = "\n".join(lines[start:end])
            if star or plain:
                moved.append(text)
            if imports:  # the script: moved lines leave nothing behind
                lines[start:end] = [_GONE] * (end - start)
            else:  # the package keeps each step's line count
                note = f"pass  # {text.strip()} (module level)"
                lines[start:end] = [""] * (end - start - 1) + [note]
    kept = "\n".join(line for line in lines if line is not _GONE)
    return (kept if ast.parse(kept).body else kept + "\npass"), moved


def _drop_annotations(code: str) -> str:
    """Rewrite `name: T = v` as `name = v` (an annotated name cannot be declared global)."""
    if ":" not in code:
        return code
    lines = code.split("\n")
    for node in _statements(ast.parse(code).body):
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            start, end = node.lineno - 1, (node.end_lineno or node.lineno)
            indent = lines[start][: node.col_offset]
            if node.value is None:
                text = [f"{indent}pass  # {node.target.id}: {ast.unparse(node.annotation)}"]
            else:
                first = node.value.lineno - 1
                rest = lines[first].encode("utf-8")[node.value.col_offset :].decode("utf-8")
                text = [f"{indent}{node.target.id} = {rest}"]
                text += lines[first + 1 : end]
            lines[start:end] = [""] * (end - start - len(text)) + text
    return "\n".join(lines)


def _statements(body: list[ast.stmt]):
    for node in body:
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for name in ("body", "orelse", "finalbody", "handlers"):
                yield from _statements(getattr(node, name, []) or [])


def _main_source(arg: str, bindings: list[str], body: str, entry: str = "main") -> str:
    body = body.replace("_apply_parameters(params)", f"_apply_parameters({arg})")
    note = "" if entry == "main" else " (named so because the notebook defines its own `main`)"
    lines = [
        f"def {entry}(**{arg}):",
        '    """Run the notebook\'s code top to bottom; keyword arguments override its '
        f'parameters cell{note}."""',
    ]
    if bindings:
        lines.append(indent_code(_wrap_global(bindings)))
    lines.append(indent_code(body))
    return "\n".join(lines)


def _wrap_global(names: list[str]) -> str:
    out, line = [], "global "
    for name in names:
        if len(line) + len(name) > 95:
            out.append(line.rstrip(", ").rstrip(","))
            line = "global "
        line += name + ", "
    out.append(line.rstrip().rstrip(","))
    return "\n".join(out)


def _apply_source() -> str:
    return (
        '''\
def _apply_parameters(params):
    """Set the parameters given to main() as globals, after the parameters cell ran."""
    unknown = sorted(set(params) - set(_PARAMETERS))
    if unknown:
        raise TypeError(f"unknown parameter(s) {', '.join(unknown)}; expected one of "
                        f"{', '.join(_PARAMETERS) or '(none: the notebook has no parameters '''
        """cell)'}")
    globals().update(params)
"""
    )
