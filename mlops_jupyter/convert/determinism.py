"""Static determinism of step outputs: which outputs depend on unseeded randomness or the clock
(then the generated tests cannot pass, so `check` says so before `convert` runs anything), and
which sources it could not decide (iteration over a set, a library call with its own seed).

The generated tests compare step outputs only, so a source matters when its value reaches an
output: the names a statement assigns or changes are tainted when it calls a source or reads a
tainted name, in notebook order within the step.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from mlops_jupyter.convert.plan import Block, Finding, Part, Plan, source_line

# module function -> what it depends on; the seeding call for its library
_RANDOM = {
    "random": ("random", "random.seed"),
    "numpy.random": ("numpy's global random generator", "numpy.random.seed"),
    "torch": ("torch's random generator", "torch.manual_seed"),
}
_RANDOM_FUNCTIONS = {
    "random": {
        "random",
        "randint",
        "randrange",
        "choice",
        "choices",
        "shuffle",
        "sample",
        "uniform",
        "gauss",
        "normalvariate",
        "betavariate",
        "expovariate",
        "triangular",
        "getrandbits",
    },
    "torch": {"rand", "randn", "randint", "randperm", "rand_like", "randn_like", "normal"},
}
_CLOCK = {
    "time.time",
    "time.time_ns",
    "time.perf_counter",
    "time.monotonic",
    "datetime.datetime.now",
    "datetime.datetime.utcnow",
    "datetime.datetime.today",
    "datetime.date.today",
    "uuid.uuid1",
    "uuid.uuid4",
    "os.urandom",
    "secrets.token_hex",
    "secrets.token_bytes",
}
_SEED_KEYWORDS = ("random_state", "seed", "random_seed")
_SEEDED_LIBRARIES = ("sklearn", "xgboost", "lightgbm", "catboost")
# scikit-learn families whose results vary with random_state=None (a solver such as Ridge's
# takes random_state but is deterministic by default)
_RANDOMISED = ("ensemble", "model_selection", "cluster", "neural_network", "utils.shuffle")


@dataclass
class _Source:
    line: int
    what: str
    fix: str
    decided: bool = True
    library: str = ""  # the seeding that would make it deterministic ("" for the clock)


def determinism_findings(plan: Plan) -> list[Finding]:
    """``nondeterministic`` findings (an output depends on an unseeded source: the generated
    tests would fail) and ``undecided`` ones (a source whose effect static analysis cannot
    decide; the generated tests will tell)."""
    aliases = _aliases(plan)
    functions = _random_functions(plan, aliases)
    seeded: set[str] = set()
    findings: list[Finding] = []
    for block in plan.blocks:
        if block.kind == "test":
            continue
        tainted: dict[str, tuple[Part, _Source]] = {}
        for part in block.parts:
            tree = _parse(part.translation.code)
            for node in tree:
                seeded |= _seeds(node, aliases)
                source = _source(node, aliases, seeded, functions)
                reached = next((tainted[n] for n in _reads(node) if n in tainted), None)
                origin = (part, source) if source is not None else reached
                if origin is not None:
                    changed = _targets(node) | (_passed(node) if source is not None else set())
                    for name in changed - set(aliases):  # a module is not a value
                        tainted.setdefault(name, origin)
                if source is not None and not source.decided:
                    findings.append(_finding("undecided", part, source, block))
        if block.kind == "step":
            reported: set[int] = set()
            for name in block.outputs:
                if name in tainted and tainted[name][1].decided:
                    part, source = tainted[name]
                    if id(source) not in reported:
                        reported.add(id(source))
                        findings.append(_finding("nondeterministic", part, source, block, name))
    return findings


def _finding(code: str, part: Part, source: _Source, block: Block, name: str = "") -> Finding:
    cell = part.cell
    line = source_line(cell, part.translation, source.line)
    if code == "nondeterministic":
        message = (
            f"cell {cell.index}, line {line}: step {block.name!r} returns {name!r}, which depends "
            f"on {source.what}, so the generated tests cannot reproduce it; {source.fix}"
        )
    else:
        message = (
            f"cell {cell.index}, line {line}: could not decide whether {source.what} makes the "
            f"results vary between runs; {source.fix} (the generated tests will tell)"
        )
    return Finding(code, cell.index, line, message)


def _parse(code: str) -> list[ast.stmt]:
    try:
        return ast.parse(code).body
    except SyntaxError:
        return []


def _aliases(plan: Plan) -> dict[str, str]:
    """Local name -> dotted module path, from every import in the notebook."""
    found: dict[str, str] = {}
    for block in plan.blocks:
        for part in block.parts:
            for node in ast.walk(ast.Module(body=_parse(part.translation.code), type_ignores=[])):
                if isinstance(node, ast.Import):
                    for alias in node.names:
                        if alias.asname:
                            found[alias.asname] = alias.name
                        else:
                            root = alias.name.split(".")[0]
                            found[root] = root
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    for alias in node.names:
                        if alias.name != "*":
                            found[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return found


def _dotted(node: ast.expr, aliases: dict[str, str]) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id not in aliases:
        return None
    return ".".join([aliases[node.id], *reversed(parts)])


def _calls(node: ast.stmt) -> list[ast.Call]:
    return [n for n in ast.walk(node) if isinstance(n, ast.Call)]


def _seeds(node: ast.stmt, aliases: dict[str, str]) -> set[str]:
    found = set()
    for call in _calls(node):
        name = _dotted(call.func, aliases)
        if name in {"random.seed", "numpy.random.seed", "torch.manual_seed"} and call.args:
            found.add(name.rsplit(".", 1)[0])
    return found


def _random_functions(plan: Plan, aliases: dict[str, str]) -> dict[str, _Source]:
    """Functions the notebook defines whose body draws from a source (Kale's candies:
    ``get_handful`` calls ``random.randint``): calling one is calling the source."""
    found: dict[str, _Source] = {}
    for block in plan.blocks:
        for part in block.parts:
            for node in _parse(part.translation.code):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    inner = next(
                        (s for n in node.body if (s := _source(n, aliases, set(), found))), None
                    )
                    if inner is not None and inner.decided:
                        found[node.name] = inner
    return found


def _source(
    node: ast.stmt,
    aliases: dict[str, str],
    seeded: set[str],
    functions: dict[str, _Source] | None = None,
) -> _Source | None:
    for call in _calls(node):
        if isinstance(call.func, ast.Name) and call.func.id in (functions or {}):
            inner = (functions or {})[call.func.id]
            if inner.library and inner.library in seeded:
                continue
            what = f"{call.func.id}(), which uses {inner.what}"
            return _Source(call.lineno, what, inner.fix, library=inner.library)
        name = _dotted(call.func, aliases)
        if name is None:
            continue
        module, _, function = name.rpartition(".")
        if name in _CLOCK:
            return _Source(
                call.lineno,
                f"the clock or a random id ({name}())",
                "compute it once outside the step and pass it as a parameter, or leave it out",
            )
        if name in {"numpy.random.default_rng", "numpy.random.RandomState", "random.Random"}:
            if not call.args and not call.keywords:
                return _Source(
                    call.lineno,
                    f"an unseeded generator ({name}())",
                    f"give it a seed: {function}(0)",
                )
            continue
        library = "torch" if module == "torch" else module
        if library in _RANDOM and (module != "torch" or function in _RANDOM_FUNCTIONS["torch"]):
            if library == "random" and function not in _RANDOM_FUNCTIONS["random"]:
                continue
            if library in seeded or (library == "torch" and "torch" in seeded):
                continue
            what, seed = _RANDOM[library]
            return _Source(
                call.lineno,
                f"{what} without a seed ({name}())",
                f"seed it first: {seed}(0)",
                library=library,
            )
        if name.split(".")[0] in _SEEDED_LIBRARIES and _takes_seed(name, call):
            if name.startswith("sklearn") and "numpy.random" in seeded:
                continue  # random_state=None draws from numpy's seeded global generator
            if any(f".{family}" in name for family in _RANDOMISED):
                return _Source(
                    call.lineno,
                    f"{name}() without random_state",
                    "pass random_state=0",
                    library="numpy.random",
                )
    for sub in ast.walk(node):
        if isinstance(sub, (ast.For, ast.comprehension)) and _is_set(sub.iter):
            return _Source(
                getattr(sub.iter, "lineno", 1),
                "iteration over a set (its order varies with PYTHONHASHSEED for strings)",
                "iterate over sorted(...)",
                decided=False,
            )
    return None


def _takes_seed(name: str, call: ast.Call) -> bool:
    """True when the library callable has a seed parameter the call leaves at its default."""
    if any(k.arg in _SEED_KEYWORDS for k in call.keywords):
        return False
    import importlib
    import inspect

    module, _, attr = name.rpartition(".")
    try:
        target = getattr(importlib.import_module(module), attr)
        parameters = inspect.signature(target).parameters
    except Exception:  # not installed, not a callable we can inspect: nothing decided
        return False
    return any(p in parameters for p in _SEED_KEYWORDS)


def _is_set(node: ast.expr) -> bool:
    if isinstance(node, (ast.Set, ast.SetComp)):
        return True
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id
        in {
            "set",
            "frozenset",
        }
    )


def _passed(node: ast.stmt) -> set[str]:
    """Names passed straight to a call: ``shuffle(items)`` changes ``items`` in place."""
    return {arg.id for call in _calls(node) for arg in call.args if isinstance(arg, ast.Name)}


def _reads(node: ast.stmt) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _targets(node: ast.stmt) -> set[str]:
    """Names a statement binds or may change in place (the root of ``x.attr = ``,
    ``x.fit(...)``)."""
    found = {
        n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }
    for sub in ast.walk(node):
        target = None
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute):
            target = sub.func.value
        elif isinstance(sub, (ast.Attribute, ast.Subscript)) and isinstance(sub.ctx, ast.Store):
            target = sub.value
        while isinstance(target, (ast.Attribute, ast.Subscript)):
            target = target.value
        if isinstance(target, ast.Name):
            found.add(target.id)
    return found
