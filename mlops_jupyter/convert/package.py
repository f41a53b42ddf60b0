"""Rendering `steps.py` (one typed function per step) and `pipeline.py` of a converted package."""

from __future__ import annotations

import re

from mlops_jupyter.convert.capture import Capture
from mlops_jupyter.convert.cliargs import argparse_source
from mlops_jupyter.convert.codegen import helper_source, indent_code
from mlops_jupyter.convert.model_hook import tracking_source
from mlops_jupyter.convert.plan import Block, Plan
from mlops_jupyter.convert.runtime_render import graph_source, main_source, run_source
from mlops_jupyter.convert.script import cell_header, module_only_statements
from mlops_jupyter.convert.track_code import TRACK_CALL
from mlops_jupyter.notebook.parameters import ParamSpec

_PARAM_TYPES = {
    "int": "int",
    "float": "float",
    "str": "str",
    "bool": "bool",
    "list": "list",
    "dict": "dict",
}


def step_order(plan: Plan) -> list[Block]:
    """Steps sorted so each runs after the steps it depends on (notebook order otherwise)."""
    steps = plan.steps()
    done: list[Block] = []
    names = {b.name for b in steps}
    pending = list(steps)
    while pending:
        for block in pending:
            if all(d in {s.name for s in done} or d not in names for d in block.depends):
                done.append(block)
                pending.remove(block)
                break
        else:  # a cycle through `after:`: keep notebook order, check reports it
            done += pending
            break
    return done


def render_steps(plan: Plan, capture: Capture, specs: list[ParamSpec], notebook: str) -> str:
    """Source of ``steps.py``: module-level cells, then one function per step."""
    types = _annotations(plan, capture, specs)
    modules = sorted({t.rsplit(".", 1)[0] for t in types.values() if "." in t and "[" not in t})
    used = {types.get(n, "Any") for b in plan.steps() for n in b.inputs + b.params + b.outputs}
    typing = (["TYPE_CHECKING"] if modules else []) + [
        n for n in ("Any", "Callable") if any(re.search(rf"\b{n}\b", t) for t in used)
    ]
    out = [
        f'"""Steps converted by mlops-jupyter from {notebook}: one function per notebook step."""',
        "\n".join(dict.fromkeys(["from __future__ import annotations", *plan.future]))
        + (f"\n\nfrom typing import {', '.join(typing)}" if typing else ""),
    ]
    if modules:
        out.append("if TYPE_CHECKING:\n" + "\n".join(f"    import {m}" for m in modules))
    if plan.requirements:
        out.append("# requirements: " + " ".join(plan.requirements))
    out += [i if i.startswith("from ") else f"import {i}" for i in sorted(plan.imports)]
    if plan.helpers:
        out.append(helper_source(plan.helpers))
    bodies = []
    for block in plan.blocks:
        if block.kind == "module":
            out += [f"{cell_header(p)}\n{p.translation.code}" for p in block.parts]
        elif block.kind == "step":
            hoisted, function = _step_function(block, types)
            out += hoisted
            bodies.append(function)
    out += bodies
    return "\n\n\n".join(s.strip("\n") for s in out) + "\n"


def shadow_lines(block: Block) -> list[str]:
    """Lines binding module-level names the block reads before rebinding them (else they would
    be unbound locals of the generated function)."""
    return [
        f"{n} = globals()[{n!r}]  # read at module level before the block rebinds it"
        for n in block.shadowed
    ]


def _annotations(plan: Plan, capture: Capture, specs: list[ParamSpec]) -> dict[str, str]:
    types = {s.name: _PARAM_TYPES.get(s.type, "Any") for s in specs}
    for block in plan.steps():
        for name in block.inputs + block.outputs:
            if name not in types:
                types[name] = capture.type_of(name, block.name)
    return types


def _step_function(block: Block, types: dict[str, str]) -> tuple[list[str], str]:
    hoisted: list[str] = []
    chunks = []
    for part in block.parts:
        code, moved = module_only_statements(part.translation.code)
        hoisted += moved
        chunks.append(f"{cell_header(part)}\n{code}")
    args = [f"{n}: {types.get(n, 'Any')}" for n in block.inputs + block.params]
    outs = block.outputs
    if not outs:
        returns = "None"
    elif len(outs) == 1:
        returns = types.get(outs[0], "Any")
    else:
        returns = f"tuple[{', '.join(types.get(n, 'Any') for n in outs)}]"
    cells = ", ".join(str(p.cell.index) for p in block.parts)
    doc = [
        f'    """Step `{block.name}` (notebook cell{"s" if len(block.parts) > 1 else ""} {cells}).',
        "",
        f"    Inputs: {', '.join(block.inputs) or '-'}. "
        f"Parameters: {', '.join(block.params) or '-'}.",
        f"    Returns: {', '.join(outs) or 'nothing'}.",
        '    """',
    ]
    body = "\n\n".join([*shadow_lines(block), *chunks])
    if outs:
        body += f"\nreturn {', '.join(outs)}"
    signature = f"def {block.name}({', '.join(args)}) -> {returns}:"
    if len(signature) > 99:
        signature = (
            f"def {block.name}(\n" + "".join(f"    {a},\n" for a in args) + f") -> {returns}:"
        )
    return hoisted, signature + "\n" + "\n".join(doc) + "\n" + indent_code(body)


def render_pipeline(plan: Plan, specs: list[ParamSpec], notebook: str, package: str = "") -> str:
    """Source of ``pipeline.py``: ``run(**params)``, the CLI and the parameters' defaults."""
    order = step_order(plan)
    param_names = list(
        dict.fromkeys(
            [s.name for s in specs]
            + [
                n
                for b in plan.blocks
                if b.kind == "parameters"
                for p in b.parts
                for n in p.usage.writes
            ]
        )
    )
    out = [
        f'"""Pipeline converted by mlops-jupyter from {notebook}: the steps in dependency '
        'order."""',
        "from __future__ import annotations\n\nfrom typing import Any\n\n"
        "from . import runner, runtime",
        f"PARAMETERS = {tuple(s.name for s in specs)!r}\nSTEPS = {tuple(b.name for b in order)!r}",
        graph_source(plan, order),
        _defaults_source(plan, param_names),
        run_source(),
        argparse_source(
            specs,
            f"Run the pipeline converted from {notebook}.",
            prog=f"python -m {package}" if package else None,
        ),
        tracking_source(
            [n for b in order for n in b.outputs],
            f"pipeline {package or notebook}",
            [b.name for b in order if TRACK_CALL in b.code],
        ),
        main_source(),
        'if __name__ == "__main__":\n    raise SystemExit(main())',
    ]
    return "\n\n\n".join(s.strip("\n") for s in out) + "\n"


def _defaults_source(plan: Plan, names: list[str]) -> str:
    code = "\n\n".join(
        p.translation.code for b in plan.blocks if b.kind == "parameters" for p in b.parts
    )
    code, hoisted = module_only_statements(code)
    lines = [
        "def defaults() -> dict[str, Any]:",
        '    """The values of the notebook\'s parameters cell."""',
    ]
    if plan.helpers and code:
        code = f"from .steps import {', '.join(sorted(plan.helpers))}\n" + code
    if code.strip():
        lines.append(indent_code(code))
    lines.append("    return {" + ", ".join(f"{n!r}: {n}" for n in names) + "}")
    return "\n".join(hoisted + lines)
