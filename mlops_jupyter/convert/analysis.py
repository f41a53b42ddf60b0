"""Planning a conversion: cells translated, grouped into module code, parameters, steps and
tests, and checked for faithful step names (``dependencies`` then links the blocks)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from mlops_jupyter.convert.dependencies import resolve_dependencies
from mlops_jupyter.convert.imports import setup_only, split_leading_imports
from mlops_jupyter.convert.plan import Block, Finding, Part, Plan, source_line
from mlops_jupyter.convert.rewrite import cut_at_exit, lift_future, split_parameters
from mlops_jupyter.convert.splitter import dataflow_breaks, is_step_part, step_name
from mlops_jupyter.convert.translate import translate_cell
from mlops_jupyter.errors import NotebookError, UnsupportedMagicError
from mlops_jupyter.notebook.names import scan
from mlops_jupyter.notebook.roles import Cell, read_cells
from mlops_jupyter.notebook.scopes import BUILTINS


def plan_notebook(nb: Mapping[str, Any], collect: bool = False, single_step: bool = False) -> Plan:
    """Translate, group and analyse a notebook's cells.

    Steps come from ``step`` roles; without any, from markdown headings between code cells;
    without those either, from the dataflow (``splitter``), unless ``single_step``.

    Args:
        nb: A validated notebook dict (see ``read_notebook``).
        collect: Report refused magics and invalid cells as findings instead of raising.
        single_step: Keep a notebook without step roles or headings as one step.

    Returns:
        The plan, with step inputs/outputs resolved and findings listed.

    Raises:
        UnsupportedMagicError: a refused magic (unless ``collect``).
        NotebookError: a cell that is not valid Python (unless ``collect``).
    """
    cells = read_cells(nb)
    findings: list[Finding] = []
    parts: list[Part] = []
    deferred: dict[str, set[str]] = {}
    future: list[str] = []
    for cell in cells:
        if cell.skip or cell.no_eval or not cell.source.strip():
            continue
        part = _analyse_cell(cell, deferred, findings, collect, future)
        if part is None:
            continue
        parts += _split_part(part, deferred)
        if part.translation.ends_notebook:
            break  # papermill stops at a successful sys.exit(): later cells never run
    module_names = _hoistable(parts)
    blocks = _group(parts, module_names, findings, single_step)
    plan = Plan(blocks, cells, findings, set(), [], set(), set())
    plan.future = list(dict.fromkeys(future))
    for part in parts:
        plan.requirements += [
            r for r in part.translation.requirements if r not in plan.requirements
        ]
        plan.helpers |= part.translation.helpers
        plan.imports |= part.translation.imports
    plan.module_names = {
        n for b in blocks if b.kind == "module" for p in b.parts for n in p.usage.writes
    }
    plan.immutable = _immutable_parameters(blocks)
    _check_step_names(plan)
    plan.module_names |= plan.imports
    if any("display" in p.usage.reads for p in parts) and not any(
        "display" in p.usage.writes for p in parts
    ):
        plan.imports.add("from IPython.display import display")
        plan.module_names.add("display")
    plan.star_import = any(p.usage.star_import for p in parts)
    resolve_dependencies(plan)
    return plan


def _split_part(part: Part, deferred: dict[str, set[str]]) -> list[Part]:
    """A cell's part, or two: leading imports (module level) and the rest; a parameters cell's
    parameters and its computed lines (which stay in the body, as papermill reads the cell)."""
    cell = part.cell
    if cell.parameters:
        halves = split_parameters(part.translation)
        if halves is None:
            return [part]
        params, rest = halves
        body_cell = dataclasses.replace(cell, parameters=False)
        return [
            Part(cell, params, scan(params.code, deferred)),
            Part(body_cell, rest, scan(rest.code, deferred)),
        ]
    if not (cell.test or cell.step or cell.after) and setup_only(part.translation.code):
        part.usage.only_definitions = True  # imports and their configuration: module level
        return [part]
    split = (
        None
        if cell.test or part.usage.only_definitions
        else split_leading_imports(part.translation)
    )
    if not split:
        return [part]
    head, rest = split
    return [
        Part(cell, head, scan(head.code), hoist=True),
        Part(cell, rest, scan(rest.code, deferred)),
    ]


def _immutable_parameters(blocks: list[Block]) -> set[str]:
    from mlops_jupyter.notebook.parameters import parse_parameters_source

    found: set[str] = set()
    for block in blocks:
        if block.kind == "parameters":
            for spec in parse_parameters_source(block.code):
                if isinstance(spec.default, (int, float, str, bool, tuple, type(None))):
                    found.add(spec.name)
    return found


def _analyse_cell(
    cell: Cell,
    deferred: dict[str, set[str]],
    findings: list[Finding],
    collect: bool,
    future: list[str],
) -> Part | None:
    translation = translate_cell(cell, collect=collect)
    translation, lifted = lift_future(translation)
    future += lifted
    cut = cut_at_exit(translation)
    if cut is not None:
        translation = cut
        translation.ends_notebook = True
    for err in translation.refused:
        findings.append(Finding("unsupported-magic", cell.index, err.line, str(err)))
    try:
        usage = scan(translation.code, deferred)
    except SyntaxError as err:
        line = (
            translation.line_map[err.lineno - 1]
            if err.lineno and err.lineno <= len(translation.line_map)
            else (err.lineno or 1)
        )
        line = cell.original_line(line)
        message = (
            f"cell {cell.index}, line {line}: not valid Python ({err.msg}); "
            "fix the cell or tag it `skip`"
        )
        if not collect:
            raise NotebookError(message) from err
        findings.append(Finding("syntax-error", cell.index, line, message))
        return None
    deferred.update(usage.deferred)
    for line in usage.ipython_calls:
        refused = UnsupportedMagicError(
            "get_ipython()", cell.index, source_line(cell, translation, line)
        )
        if not collect:
            raise refused
        findings.append(Finding("unsupported-magic", cell.index, refused.line, str(refused)))
    for line, reason in usage.ambiguous:
        findings.append(
            Finding(
                "ambiguous-dependency",
                cell.index,
                source_line(cell, translation, line),
                f"cell {cell.index}: {reason}",
            )
        )
    for name in sorted(usage.global_writes):
        findings.append(
            Finding(
                "ambiguous-dependency",
                cell.index,
                1,
                f"cell {cell.index}: a function assigns the global {name!r} with `global`; "
                "which step produces it depends on when the function is called. "
                "Return the value instead",
            )
        )
    return Part(cell, translation, usage)


def _hoistable(parts: list[Part]) -> set[int]:
    """Cells of imports and definitions whose definitions only read module-level names."""
    candidates = {
        id(p): p
        for p in parts
        if p.hoist
        or (
            p.usage
            and p.usage.only_definitions
            and not (p.cell.step or p.cell.test or p.cell.parameters or p.cell.after)
            and all(action == "drop" for _, _, action in p.translation.magics)
            and not p.usage.ambiguous
        )
    }
    while True:  # definition-time reads need earlier module cells; function bodies any of them
        allowed = {n for p in candidates.values() for n in p.usage.writes} | BUILTINS
        drop, before = [], set(BUILTINS)
        for key, p in candidates.items():
            if not set(p.usage.reads) <= before or any(
                not g <= allowed for g in p.usage.deferred.values()
            ):
                drop.append(key)
            before |= set(p.usage.writes)
        if not drop:
            return set(candidates)
        for key in drop:
            del candidates[key]


def _group(
    parts: list[Part], hoisted: set[int], findings: list[Finding], single_step: bool = False
) -> list[Block]:
    """Group cells into blocks; without any `step` role, markdown headings between code cells
    start steps, and without those, the dataflow does (see ``splitter``)."""
    blocks: list[Block] = []
    names: dict[str, Block] = {}
    current: Block | None = None
    by_heading = not any(p.cell.step for p in parts)
    step_parts = [p for p in parts if is_step_part(p, hoisted)]
    by_dataflow = by_heading and not single_step and not any(p.cell.heading for p in step_parts[1:])
    breaks = dataflow_breaks(parts, hoisted) if by_dataflow else set()
    split_here = False
    for part in parts:
        cell = part.cell
        implicit = None
        if (
            by_heading
            and not by_dataflow
            and cell.heading
            and not (cell.test or cell.parameters or id(part) in hoisted)
        ):
            implicit = _unique(_slug(cell.heading), names)
        elif split_here and is_step_part(part, hoisted):
            implicit, split_here = f"step_{cell.index}", False
        if cell.test:
            blocks.append(Block("test", f"cell_{cell.index}", [part]))
        elif cell.parameters:
            blocks.append(Block("parameters", "parameters", [part]))
            current = None
        elif id(part) in hoisted:
            blocks.append(Block("module", f"cell_{cell.index}", [part]))
        elif cell.step or implicit or current is None:
            name = cell.step or implicit or f"step_{cell.index}"
            if name in names:
                findings.append(
                    Finding(
                        "duplicate-step",
                        cell.index,
                        1,
                        f"cell {cell.index}: step {name!r} is already defined by cell "
                        f"{names[name].first_cell}; give each step a unique name",
                    )
                )
                name = f"{name}_{cell.index}"
            current = Block("step", name, [part], after=cell.after)
            names[name] = current
            blocks.append(current)
        else:
            current.parts.append(part)
            current.after = tuple(dict.fromkeys(current.after + cell.after))
        split_here = split_here or id(part) in breaks
    if by_dataflow:
        _name_by_dataflow(blocks, parts)
    return blocks


def _name_by_dataflow(blocks: list[Block], parts: list[Part]) -> None:
    """Name each step after what it produces for later steps (see ``splitter.step_name``)."""
    taken = set(_RESERVED) | {n for p in parts for n in p.usage.writes}
    taken |= {h for p in parts for h in p.translation.helpers}
    for position, block in enumerate(blocks):
        if block.kind != "step":
            continue
        later = {n for b in blocks[position + 1 :] for p in b.parts for n in p.usage.reads}
        written = [n for p in block.parts for n in p.usage.writes]
        produced = [n for n in dict.fromkeys(written) if n in later]
        block.name = step_name(block.parts, produced, taken)


_RESERVED = frozenset({"annotations", "TYPE_CHECKING", "Any", "Callable"})


def _check_step_names(plan: Plan) -> None:
    """A step's function must not replace a module-level name of the package."""
    defined = {
        n: b.first_cell
        for b in plan.blocks
        if b.kind == "module"
        for p in b.parts
        for n in p.usage.writes
    }
    for block in plan.steps():
        if block.name in defined or block.name in _RESERVED or block.name in plan.helpers:
            where = (
                f"cell {defined[block.name]} defines it at module level"
                if block.name in defined
                else "the generated module uses that name"
            )
            plan.findings.append(
                Finding(
                    "duplicate-step",
                    block.first_cell,
                    1,
                    f"cell {block.first_cell}: step name {block.name!r} clashes with a name in "
                    f"steps.py ({where}); rename the step",
                )
            )


def _slug(text: str) -> str:
    import keyword
    import re
    import unicodedata

    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    name = re.sub(r"[^0-9a-zA-Z]+", "_", ascii_text).strip("_").lower()[:40].rstrip("_")
    if not name or name[0].isdigit() or keyword.iskeyword(name):
        name = f"step_{name}".rstrip("_")
    return name


def _unique(name: str, taken: dict[str, Block]) -> str:
    candidate, number = name, 2
    while candidate in taken:
        candidate, number = f"{name}_{number}", number + 1
    return candidate
