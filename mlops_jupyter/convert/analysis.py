"""Dependency analysis: cells grouped into module code, parameters, steps and tests, with each
step's inputs and outputs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mlops_jupyter.convert.imports import split_leading_imports
from mlops_jupyter.convert.magics import Translation, translate_cell
from mlops_jupyter.errors import NotebookError, UnsupportedMagicError
from mlops_jupyter.notebook.names import BUILTINS, Usage, closure_reads, scan
from mlops_jupyter.notebook.roles import Cell, read_cells


@dataclass(frozen=True)
class Finding:
    """One problem that makes a conversion unfaithful, located by cell and line."""

    code: str
    cell: int
    line: int
    message: str


@dataclass
class Part:
    """One cell's translated code inside a block."""

    cell: Cell
    translation: Translation
    usage: Usage
    hoist: bool = False  # leading imports split off a cell: always module level


@dataclass
class Block:
    """A unit of the converted program: ``module``, ``parameters``, ``step`` or ``test`` code."""

    kind: str
    name: str
    parts: list[Part] = field(default_factory=list)
    after: tuple[str, ...] = ()
    inputs: list[str] = field(default_factory=list)
    params: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    depends: list[str] = field(default_factory=list)
    shadowed: list[str] = field(default_factory=list)  # module names read, then rebound

    @property
    def code(self) -> str:
        """The block's code, cells joined in order."""
        return "\n\n".join(p.translation.code for p in self.parts)

    @property
    def first_cell(self) -> int:
        """Index of the block's first cell in the notebook."""
        return self.parts[0].cell.index


@dataclass
class Plan:
    """The whole notebook analysed: blocks in notebook order plus what they need."""

    blocks: list[Block]
    cells: list[Cell]
    findings: list[Finding]
    module_names: set[str]
    requirements: list[str]
    helpers: set[str]
    imports: set[str]
    immutable: set[str] = field(
        default_factory=set
    )  # parameters whose value cannot change in place
    star_import: bool = False
    deleted_by: dict[str, int] = field(default_factory=dict)

    def steps(self) -> list[Block]:
        """Step blocks in notebook order."""
        return [b for b in self.blocks if b.kind == "step"]


def plan_notebook(nb: Mapping[str, Any], collect: bool = False) -> Plan:
    """Translate, group and analyse a notebook's cells.

    Args:
        nb: A validated notebook dict (see ``read_notebook``).
        collect: Report refused magics and invalid cells as findings instead of raising.

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
    for cell in cells:
        if cell.skip or not cell.source.strip():
            continue
        part = _analyse_cell(cell, deferred, findings, collect)
        if part is None:
            continue
        split = (
            None
            if cell.test or cell.parameters or part.usage.only_definitions
            else split_leading_imports(part.translation)
        )
        if split:
            head, rest = split
            parts.append(Part(cell, head, scan(head.code), hoist=True))
            part = Part(cell, rest, scan(rest.code, deferred))
        parts.append(part)
    module_names = _hoistable(parts)
    blocks = _group(parts, module_names, findings)
    plan = Plan(blocks, cells, findings, set(), [], set(), set())
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
    _resolve(plan)
    return plan


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
    cell: Cell, deferred: dict[str, set[str]], findings: list[Finding], collect: bool
) -> Part | None:
    translation = translate_cell(cell, collect=collect)
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
        refused = UnsupportedMagicError("get_ipython()", cell.index, _line(cell, translation, line))
        if not collect:
            raise refused
        findings.append(Finding("unsupported-magic", cell.index, refused.line, str(refused)))
    for line, reason in usage.ambiguous:
        findings.append(
            Finding(
                "ambiguous-dependency",
                cell.index,
                _line(cell, translation, line),
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


def _line(cell: Cell, translation: Translation, line: int) -> int:
    if 1 <= line <= len(translation.line_map):
        line = translation.line_map[line - 1]
    return cell.original_line(line)


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


def _group(parts: list[Part], hoisted: set[int], findings: list[Finding]) -> list[Block]:
    """Group cells into blocks; without any `step` role, markdown headings start steps."""
    blocks: list[Block] = []
    names: dict[str, Block] = {}
    current: Block | None = None
    by_heading = not any(p.cell.step for p in parts)
    for part in parts:
        cell = part.cell
        implicit = None
        if (
            by_heading
            and cell.heading
            and not (cell.test or cell.parameters or id(part) in hoisted)
        ):
            implicit = _unique(_slug(cell.heading), names)
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
    return blocks


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


def _resolve(plan: Plan) -> None:
    """Fill each block's inputs, params, outputs and dependencies; record undefined names."""
    producer: dict[str, Block] = {}
    rebound: dict[str, Block] = {}
    defined_anywhere = {n for b in plan.blocks for p in b.parts for n in p.usage.writes}
    step_names = {b.name for b in plan.blocks if b.kind == "step"}
    for block in plan.blocks:
        for name in block.after:
            if name not in step_names:
                plan.findings.append(
                    Finding(
                        "unknown-step",
                        block.first_cell,
                        1,
                        f"cell {block.first_cell}: `after:{name}` names no step; expected one of "
                        f"{sorted(step_names) or 'no steps'}",
                    )
                )
            elif name not in block.depends:
                block.depends.append(name)
        if block.kind == "module":
            continue
        for part in block.parts:
            _resolve_part(plan, block, part, producer, defined_anywhere)
        if block.kind == "test":
            continue
        for part in block.parts:
            for name in part.usage.writes:
                producer[name] = rebound[name] = block
            for name in part.usage.modified:
                source = producer.get(name)
                immutable = (
                    source is not None and source.kind == "parameters" and name in plan.immutable
                )
                if source is not None and name not in plan.module_names and not immutable:
                    producer[name] = block
            for name in part.usage.deleted:
                producer.pop(name, None)
                rebound.pop(name, None)
                plan.deleted_by[name] = block.first_cell
    for name in {n for b in plan.steps() for n in b.outputs}:  # the pipeline's final values
        last = rebound.get(name)  # (in-place changes are already visible through the object)
        if last is not None and last.kind == "step" and name not in last.outputs:
            last.outputs.append(name)
    _check_cycles(plan)


def _check_cycles(plan: Plan) -> None:
    """Report steps that depend on each other (through `after:` pointing down the notebook)."""
    steps = {b.name: b for b in plan.steps()}
    state: dict[str, int] = {}

    def visit(name: str, path: list[str]) -> list[str] | None:
        state[name] = 1
        for dep in steps[name].depends:
            if dep in steps and state.get(dep) == 1:
                return [*path[path.index(dep) :], dep] if dep in path else [name, dep]
            if dep in steps and dep not in state:
                found = visit(dep, [*path, dep])
                if found:
                    return found
        state[name] = 2
        return None

    for name in steps:
        if name not in state:
            cycle = visit(name, [name])
            if cycle:
                block = steps[cycle[0]]
                plan.findings.append(
                    Finding(
                        "ambiguous-dependency",
                        block.first_cell,
                        1,
                        f"cell {block.first_cell}: steps {' -> '.join(cycle)} depend on each other "
                        "(an `after:` points to a step that needs this one); remove one `after:`",
                    )
                )
                return


def _resolve_part(
    plan: Plan, block: Block, part: Part, producer: dict[str, Block], defined_anywhere: set[str]
) -> None:
    earlier: set[str] = set()
    for previous in block.parts[: block.parts.index(part)]:
        earlier = (earlier | set(previous.usage.writes)) - previous.usage.deleted
    in_block = {n for p in block.parts for n in p.usage.writes}
    reads = dict(part.usage.reads)
    if block.kind == "step":  # a function defined in a step closes over the step's variables
        for name in closure_reads(part.usage, plan.module_names | in_block | earlier):
            reads.setdefault(name, 1)
        for function, names in part.usage.deferred.items():
            for name in sorted(names - plan.module_names - part.usage.global_writes):
                later = [
                    b
                    for b in plan.blocks[plan.blocks.index(block) + 1 :]
                    if b.kind != "test" and any(name in p.usage.writes for p in b.parts)
                ]
                if later:
                    plan.findings.append(
                        Finding(
                            "ambiguous-dependency",
                            part.cell.index,
                            1,
                            f"cell {part.cell.index}: function {function!r} reads the global "
                            f"{name!r}, which cell {later[0].first_cell} reassigns later; "
                            "pass it as an argument",
                        )
                    )
    for name, line in reads.items():
        if name in earlier:
            continue
        if name in plan.module_names and name not in producer:
            if name in in_block and name not in block.shadowed:
                block.shadowed.append(name)  # read from module level, then rebound locally
            continue
        source = producer.get(name)
        if source is None:
            if name in BUILTINS:
                continue
            _undefined(plan, part, name, line, name in defined_anywhere)
            continue
        if source is block:
            continue
        if source.kind == "parameters":
            if name not in block.params:
                block.params.append(name)
        else:
            if name not in block.inputs:
                block.inputs.append(name)
            if name not in source.outputs:
                source.outputs.append(name)
            if source.kind == "step" and source.name not in block.depends:
                block.depends.append(source.name)


def _undefined(plan: Plan, part: Part, name: str, line: int, later: bool) -> None:
    if plan.star_import and not later:
        return  # may come from `import *`, already reported as ambiguous
    cell = part.cell
    line = _line(cell, part.translation, line)
    if name in plan.deleted_by:
        message = (
            f"cell {cell.index}, line {line}: {name!r} is used after cell "
            f"{plan.deleted_by[name]} deletes it; remove the `del` or the use"
        )
        plan.findings.append(Finding("use-before-def", cell.index, line, message))
    elif later:
        message = (
            f"cell {cell.index}, line {line}: {name!r} is used before the cell that "
            "defines it (top-to-bottom order); move the defining cell up"
        )
        plan.findings.append(Finding("use-before-def", cell.index, line, message))
    else:
        message = (
            f"cell {cell.index}, line {line}: {name!r} is never defined by the notebook "
            "(hidden state from a deleted or skipped cell?); define it in a cell"
        )
        plan.findings.append(Finding("undefined-name", cell.index, line, message))
