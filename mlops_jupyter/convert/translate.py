"""Cells to plain Python: the IPython-only lines of a cell (magics, ``!`` commands, ``?`` help)
found and translated as the policy table in ``magics`` says."""

from __future__ import annotations

import re

from mlops_jupyter.convert.codegen import string_continuation_lines
from mlops_jupyter.convert.magic_code import (
    CELL_TRANSLATORS,
    LINE_TRANSLATORS,
    CellLines,
    env_value,
    pip_packages,
    shell_lines,
    shell_output,
)
from mlops_jupyter.convert.magics import (
    DROP,
    PYTHON_BODY,
    REFUSE,
    REQUIREMENTS,
    TRANSLATE,
    Translation,
    policy,
)
from mlops_jupyter.errors import UnsupportedMagicError
from mlops_jupyter.notebook.roles import Cell

_CANDIDATE = re.compile(r"^\s*(?:[%!?]|[\w.,\s()\[\]]+?=\s*[!%])|\?\s*$", re.MULTILINE)
_LINE_MAGIC = re.compile(r"^(\s*)%(\w+)(.*)$")
_SHELL = re.compile(r"^(\s*)!(.*)$")
_ASSIGN = re.compile(r"^(\s*)([A-Za-z_][\w.,\s()\[\]]*?)\s*=\s*([!%])(.*)$")
_HELP = re.compile(r"^\s*(?:\?\??[\w.]+|[\w.]+\?\??)\s*$")


def translate_cell(cell: Cell, collect: bool = False) -> Translation:
    """Translate the IPython-only syntax of a cell into plain Python, following ``POLICIES``.

    Args:
        cell: The cell, with its role comment lines already removed.
        collect: Record refused magics in ``refused`` instead of raising the first one.

    Returns:
        The translation; ``code`` is plain Python when nothing was refused.

    Raises:
        UnsupportedMagicError: a refused magic, when ``collect`` is false.
    """
    source = cell.source
    lines = source.split("\n")
    out = Translation(code=source, line_map=list(range(1, len(lines) + 1)))
    if not _CANDIDATE.search(source) and cell.magic_line is None:
        return out
    if cell.magic_line is None and _parses(source):
        return out
    body: list[tuple[int, str]] = []
    start = 2 if cell.magic_line is not None else 1
    magic = (cell.magic_line or "")[2:].split(" ", 1)[0]
    if cell.magic_line is None or magic in PYTHON_BODY:
        _translate_lines(cell, lines[start - 1 :], start, body, out, collect)
    if cell.magic_line is not None:
        body = _cell_magic(cell, body, out, collect)
    out.code = "\n".join(text for _, text in body)
    out.line_map = [number for number, _ in body]
    return out


def _parses(source: str) -> bool:
    try:
        compile(source, "<cell>", "exec", flags=0x400, dont_inherit=True)  # PyCF_ONLY_AST
    except (SyntaxError, ValueError):
        return False
    return True


def _refuse(cell: Cell, magic: str, line: int, out: Translation, collect: bool) -> None:
    err = UnsupportedMagicError(magic, cell.index, cell.original_line(line))
    out.magics.append((cell.original_line(line), magic, REFUSE))
    if not collect:
        raise err
    out.refused.append(err)


def _string_lines(lines: list[str], first: int) -> set[int]:
    """Line numbers (as in the cell) that lie inside multi-line strings, magic lines aside."""
    probe = [
        line[: len(line) - len(line.lstrip())] + "pass"
        if _SHELL.match(line) or _LINE_MAGIC.match(line) or _HELP.match(line)
        else line
        for line in lines
    ]
    return {n + first - 1 for n in string_continuation_lines("\n".join(probe))}


def _translate_lines(
    cell: Cell,
    lines: list[str],
    first: int,
    body: list[tuple[int, str]],
    out: Translation,
    collect: bool,
) -> None:
    pending = ""
    inside = _string_lines(lines, first)
    for offset, line in enumerate(lines):
        number = first + offset
        if number in inside and not pending:
            body.append((number, line))
            continue
        if pending:
            line, pending = pending + line.lstrip(), ""
        stripped = line.strip()
        if stripped[:1] in "%!" and line.endswith("\\"):
            pending = line[:-1] + " "
            body.append((number, ""))
            continue
        result = _translate_line(cell, line, number, out, collect)
        body.extend((number, text) for text in result)


def _translate_line(
    cell: Cell, line: str, number: int, out: Translation, collect: bool
) -> list[str]:
    if match := _SHELL.match(line):
        indent, command = match.groups()
        return [indent + text for text in shell_lines(command, out)]
    if match := _LINE_MAGIC.match(line):
        indent, name, args = match.groups()
        texts = _line_magic(cell, name, args.strip(), number, out, collect)
        return [indent + text for text in texts or (["pass"] if indent else [])]
    if match := _ASSIGN.match(line):
        indent, target, kind, rest = match.groups()
        if kind == "!" and "=" not in target and not target.strip().endswith(("=", "!", "<", ">")):
            return [indent + shell_output(target.strip(), rest.strip(), out)]
        if kind == "%":
            name, _, args = rest.strip().partition(" ")
            if name in {"sx", "system"} and args.strip():
                out.magics.append((cell.original_line(number), "%" + name, TRANSLATE))
                return [indent + shell_output(target.strip(), args.strip(), out)]
            if name == "env" and len(args.split()) == 1:
                out.magics.append((cell.original_line(number), "%env", TRANSLATE))
                return [indent + env_value(target.strip(), args.strip(), out)]
            _refuse(cell, "%" + name if name else "%", number, out, collect)
            return [indent + "pass"]
    if _HELP.match(line):
        _refuse(cell, "?", number, out, collect)
        return [line[: len(line) - len(line.lstrip())] + "pass"]
    return [line]


def _line_magic(
    cell: Cell, name: str, args: str, number: int, out: Translation, collect: bool
) -> list[str]:
    rule = policy("line", name)
    out.magics.append((cell.original_line(number), "%" + name, rule.action))
    if rule.action == DROP:  # housekeeping: nothing left behind (a `pass` keeps a block valid)
        return []
    if rule.action == REQUIREMENTS:
        if args.split()[:1] == ["install"]:
            out.requirements += pip_packages(args.split(None, 1)[1] if " " in args else "")
        return [f"pass  # %{name} {args} (see the requirements comment)"]
    handler = LINE_TRANSLATORS.get(name)
    if rule.action == REFUSE or handler is None:
        _refuse(cell, "%" + name, number, out, collect)
        return ["pass"]
    result = handler(args, out)
    if result is None:
        _refuse(cell, f"%{name} {args}".strip(), number, out, collect)
        return ["pass"]
    return result


def _cell_magic(cell: Cell, body: CellLines, out: Translation, collect: bool) -> CellLines:
    header = (cell.magic_line or "")[2:]
    name, _, args = header.partition(" ")
    rule = policy("cell", name)
    out.magics.append((cell.original_line(1), "%%" + name, rule.action))
    raw = "\n".join(cell.source.split("\n")[1:]) + "\n"  # the body is not Python
    if rule.action == DROP:
        return []
    translator = CELL_TRANSLATORS.get(name)
    if rule.action == REFUSE or translator is None:
        _refuse(cell, "%%" + name, 1, out, collect)
        return [(1, "pass")]
    lines = translator(args, raw, body, out)
    if lines is None:  # arguments it cannot translate; a Python body is still analysed
        _refuse(cell, f"%%{name} {args}".strip(), 1, out, collect)
        return body if name in PYTHON_BODY else [(1, "pass")]
    return lines
