"""The typed parameters schema of a notebook, read with `ast` from its `parameters` cell."""

from __future__ import annotations

import ast
import builtins
import io
import re
import tokenize
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mlops_jupyter.errors import NotebookError
from mlops_jupyter.notebook.roles import cell_roles, cell_text

_TYPE_NAMES = {bool: "bool", int: "int", float: "float", str: "str", list: "list", dict: "dict"}
_ANNOTATIONS = {"bool", "int", "float", "str", "list", "dict"}
_NO_DEFAULT = object()
_TYPE_COMMENT = re.compile(r"^type:\s*(?P<type>[^\s]+)\s*(?P<help>.*)$")  # papermill's form
_BUILTINS = frozenset(dir(builtins))
_NONE_TYPES = frozenset({"None", "NoneType", "Any", "typing.Any"})  # annotations saying nothing


@dataclass(frozen=True)
class ParamSpec:
    """One notebook parameter: its name, type name, default value and help text."""

    name: str
    type: str
    default: Any
    help: str = ""


def find_parameters_cell(nb: Mapping[str, Any]) -> tuple[int, Mapping[str, Any]] | None:
    """Find the parameters cell: the first code cell whose role is ``parameters``.

    The one rule for every command, magic and route (see ``roles.ROLE_SOURCES``): a
    ``parameters`` tag, Kale's ``pipeline-parameters`` tag, or a ``#| parameters`` line.

    Args:
        nb: A notebook as a dict (nbformat 4 JSON or a NotebookNode).

    Returns:
        ``(index, cell)`` of the parameters cell, or None when the notebook has none.
    """
    for index, cell in enumerate(nb.get("cells", [])):
        if cell_roles(cell).parameters:
            return index, cell
    return None


def parameters_source(nb: Mapping[str, Any]) -> str | None:
    """The source of the notebook's parameters cell, or None when it has none."""
    found = find_parameters_cell(nb)
    return None if found is None else cell_text(found[1])


def parse_parameters_source(source: str) -> list[ParamSpec]:
    """Parse the source of a parameters cell into a schema, one entry per assigned name.

    Read as papermill reads it: an assignment whose value is computed from another name
    (``d = a == 3``, ``n = len(data)``) is not a parameter (it stays in the notebook's body, see
    ``is_parameter_assignment``). The type comes from the annotation, else from a ``# type: X``
    comment, else from the default's type; a ``None`` default gives ``any`` (a value given as
    text is read as papermill reads ``-p``: int, float, bool, None, else text). The help text is
    the comment at the end of the assignment's line, after any ``type: X``.

    Args:
        source: Python source of the parameters cell (``#|`` and magic lines are ignored).

    Returns:
        The parameters in the order they are assigned; a reassigned name keeps its last value.

    Raises:
        NotebookError: if the source is not valid Python.
    """
    source = "\n".join(
        "" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()
    )
    try:
        tree: ast.Module | None = ast.parse(source)
    except SyntaxError as err:
        tree = _without_broken_lines(source)  # papermill skips a line it cannot read
        if tree is None:
            raise NotebookError(
                f"the parameters cell is not valid Python (line {err.lineno}: {err.msg}); "
                "fix the cell so that it only assigns values, e.g. `lr = 0.1  # learning rate`"
            ) from err
    comments = _line_comments(source)
    specs: dict[str, ParamSpec] = {}
    for node in tree.body if tree is not None else ():
        if not is_parameter_assignment(node):
            continue
        comment = comments.get(node.end_lineno or node.lineno, "")
        typed = _TYPE_COMMENT.match(comment)
        for name, annotation, value in _assignments(node):
            default = _literal(value)
            if annotation is None and typed:
                annotation = _parse_annotation(typed.group("type"))
            type_name = _type_name(annotation, default)
            help_text = typed.group("help").strip() if typed else comment
            specs.pop(name, None)
            specs[name] = ParamSpec(
                name, type_name, None if default is _NO_DEFAULT else default, help_text
            )
    return list(specs.values())


def _without_broken_lines(source: str, attempts: int = 5) -> ast.Module | None:
    """The cell parsed with the lines Python cannot read blanked (papermill's
    ``complex_parameters`` ends with ``= 2``), or None when nothing assigning is left."""
    lines = source.split("\n")
    for _ in range(attempts):
        try:
            tree = ast.parse("\n".join(lines))
        except SyntaxError as err:
            if not err.lineno or err.lineno > len(lines):
                return None
            lines[err.lineno - 1] = ""
            continue
        return tree if any(_assignments(n) for n in tree.body) else None
    return None


def is_parameter_assignment(node: ast.stmt) -> bool:
    """True for an assignment papermill treats as a parameter: its value reads no name but
    builtins (a literal, ``None``, ``float("nan")``); ``d = a == 3`` is computed, not given."""
    if not _assignments(node):
        return False
    value = node.value if isinstance(node, (ast.Assign, ast.AnnAssign)) else None
    if value is None:
        return True
    return all(n.id in _BUILTINS for n in ast.walk(value) if isinstance(n, ast.Name)) and not any(
        isinstance(n, (ast.Lambda, ast.NamedExpr)) for n in ast.walk(value)
    )


def _parse_annotation(text: str) -> ast.expr | None:
    try:
        return ast.parse(text, mode="eval").body
    except SyntaxError:
        return None


def _assignments(node: ast.stmt) -> list[tuple[str, ast.expr | None, ast.expr | None]]:
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return [(node.target.id, node.annotation, node.value)]
    if isinstance(node, ast.Assign):
        found: list[tuple[str, ast.expr | None, ast.expr | None]] = []
        for target in node.targets:
            if isinstance(target, ast.Name):
                found.append((target.id, None, node.value))
            elif (
                isinstance(target, (ast.Tuple, ast.List))
                and isinstance(node.value, (ast.Tuple, ast.List))
                and len(target.elts) == len(node.value.elts)
            ):
                found += [
                    (t.id, None, v)
                    for t, v in zip(target.elts, node.value.elts)
                    if isinstance(t, ast.Name)
                ]
        return found
    return []


def _literal(value: ast.expr | None) -> Any:
    if value is None:
        return _NO_DEFAULT
    try:
        return ast.literal_eval(value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _NO_DEFAULT


def _strip_optional(annotation: ast.expr) -> ast.expr:
    """``Optional[X]``, ``Union[X, None]`` and ``X | None`` -> ``X`` (None is the default)."""
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        sides = [annotation.left, annotation.right]
    elif isinstance(annotation, ast.Subscript) and ast.unparse(annotation.value).split(".")[-1] in {
        "Optional",
        "Union",
    }:
        inner = annotation.slice
        sides = list(inner.elts) if isinstance(inner, ast.Tuple) else [inner]
    else:
        return annotation
    kept = [s for s in sides if not (isinstance(s, ast.Constant) and s.value is None)]
    return kept[0] if len(kept) == 1 else annotation


def _type_name(annotation: ast.expr | None, default: Any) -> str:
    if annotation is not None:
        text = ast.unparse(_strip_optional(annotation))
        base = text.split("[", 1)[0].split(".")[-1]
        if base in _ANNOTATIONS:
            return base
        if base in {"List", "Tuple", "tuple", "Sequence"}:
            return "list"
        if base in {"Dict", "Mapping"}:
            return "dict"
    if default is None:
        untyped = annotation is None or ast.unparse(annotation).strip("'\"") in _NONE_TYPES
        return "any" if untyped else "str"
    if default is _NO_DEFAULT:
        return "str"
    if isinstance(default, tuple):
        return "list"
    return _TYPE_NAMES.get(type(default), "str")


def _line_comments(source: str) -> dict[int, str]:
    comments: dict[int, str] = {}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT and not tok.string.startswith("#|"):
                comments[tok.start[0]] = tok.string.lstrip("#").strip()
    except (tokenize.TokenError, IndentationError):
        pass
    return comments
