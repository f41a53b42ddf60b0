"""Dependencies between the plan's blocks: each step's inputs, params, outputs and the steps it
runs after, and the findings about them (undefined or deleted names, use before definition,
`after:` to no step, dependency cycles, functions reading globals rebound later)."""

from __future__ import annotations

from mlops_jupyter.convert.aliases import AliasGroups, derivations, own_callables, surely_changed
from mlops_jupyter.convert.plan import Block, Finding, Part, Plan, source_line
from mlops_jupyter.notebook.names import closure_reads
from mlops_jupyter.notebook.scopes import BUILTINS


def resolve_dependencies(plan: Plan) -> None:
    """Fill each block's inputs, params, outputs and dependencies; record undefined names."""
    producer: dict[str, Block] = {}
    rebound: dict[str, Block] = {}
    defined_anywhere = {n for b in plan.blocks for p in b.parts for n in p.usage.writes}
    step_names = {b.name for b in plan.blocks if b.kind == "step"}
    aliases = AliasGroups()
    own = own_callables([b.code for b in plan.blocks if b.kind == "module"])
    seen: dict[str, frozenset[str]] = {}  # output -> the names that may share objects with it
    returned: dict[str, list[str]] = {}  # step -> the inputs it changes, returned too
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
        if block.kind == "step":
            returned[block.name] = _return_changed_inputs(block, producer, aliases, own)
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
            for name, sources in derivations(part.translation.code, own[1]).items():
                if name in part.usage.writes:
                    aliases.bind(name, sources - plan.module_names)
        seen.update({n: aliases.of(n) for n in returned.get(block.name, []) + _written(block)})
    for name in {n for b in plan.steps() for n in b.outputs}:  # the pipeline's final values
        last = rebound.get(name)  # (in-place changes are already visible through the object)
        if last is not None and last.kind == "step" and name not in last.outputs:
            last.outputs.append(name)
    for block in plan.steps():
        block.outputs += [n for n in returned.get(block.name, []) if n not in block.outputs]
        block.shared = [
            n for n in block.outputs if len(seen.get(n, set()) & set(block.outputs)) > 1
        ]
    _check_cycles(plan)


def _written(block: Block) -> list[str]:
    return [n for p in block.parts for n in p.usage.writes]


def _return_changed_inputs(
    block: Block,
    producer: dict[str, Block],
    aliases: AliasGroups,
    own: tuple[set[str], set[str]],
) -> list[str]:
    """The inputs a step surely changes in place, and every value that may share their objects
    (taken as inputs too): the step returns them, so run from files, later steps see the change."""
    found: list[str] = []
    changed = [
        n
        for p in block.parts
        for n in sorted(surely_changed(p.translation.code, *own))
        if n in block.inputs
    ]
    for name in changed:
        for other in sorted(aliases.of(name)):
            source = producer.get(other)
            if other != name and (source is None or source.kind != "step" or source is block):
                continue
            if other not in block.inputs and source is not None:
                block.inputs.append(other)
                if other not in source.outputs:
                    source.outputs.append(other)
                if source.name not in block.depends:
                    block.depends.append(source.name)
            producer[other] = block  # later steps take it from this one
            if other not in found:
                found.append(other)
    return found


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
    line = source_line(cell, part.translation, line)
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
