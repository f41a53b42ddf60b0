"""Where the values a cell read came from: the one walk through a kernel's execution history.

For each name a cell reads, the execution that last bound it (and any later one that changed
it in place) is its source; that execution's own reads have sources too, and so on. The walk
visits these edges depth first, in one fixed order, and is the single source of truth for both
readers: the hidden-state verdict (``dataflow.judge`` checks each edge and stops at the first
problem) and the lineage of a run (`sources`: every execution visited, which `%%track`
records, `reproduce` re-executes and `runs diff` compares).
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from mlops_jupyter.notebook.cell_analysis import python_source
from mlops_jupyter.notebook.names import closure_reads, scan

_IGNORED = frozenset({"In", "Out", "get_ipython", "exit", "quit", "display", "print"})
# Method calls that change their object in place (lists, dicts, sets, estimators, frames).
_MUTATORS = frozenset(
    {
        "append", "extend", "insert", "pop", "remove", "clear", "update", "sort", "reverse",
        "add", "discard", "setdefault", "popitem", "fit", "partial_fit", "fit_transform",
        "set_params", "load_state_dict", "train", "step", "rename_axis", "__setitem__",
    }
)  # fmt: skip


class HasSource(Protocol):
    """An execution of the history (``dataflow.Executed``): all the walk needs is its code."""

    @property
    def source(self) -> str: ...


@dataclass(frozen=True)
class Facts:
    """What one execution's code does with names."""

    reads: tuple[str, ...]  # read before bound, at top level
    closure: tuple[str, ...]  # globals its functions read when they are called later
    binds: frozenset[str]
    imports: frozenset[str]  # bound by import statements (the same module wherever imported)
    modifies: frozenset[str]  # changed in place (x[k] = v, x.attr = v, x.append(...), x.fit())


@functools.lru_cache(maxsize=8192)
def facts(source: str) -> Facts:
    """The name facts of a cell (cached: a long session re-reads the same sources)."""
    code = python_source(source)
    try:
        usage = scan(code)
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return Facts((), (), frozenset(), frozenset(), frozenset())
    binds = frozenset(usage.writes) | usage.global_writes
    return Facts(
        tuple(n for n in usage.reads if n not in _IGNORED),
        tuple(n for n in closure_reads(usage) if n not in _IGNORED),
        binds,
        frozenset(_imported(tree)),
        frozenset(_in_place(tree)) - binds,
    )


def _imported(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {a.asname or a.name.split(".")[0] for a in node.names}
    return names


def _in_place(tree: ast.Module) -> set[str]:
    """Names top-level code changes in place, by the narrow rule (not 'passed to a call')."""
    found: set[str] = set()
    stack: list[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        targets: list[ast.expr] = []
        if isinstance(node, (ast.Assign, ast.Delete)):
            targets = list(node.targets)
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            inplace = any(
                k.arg == "inplace" and isinstance(k.value, ast.Constant) and k.value.value
                for k in node.keywords
            )
            if node.func.attr in _MUTATORS or inplace:
                targets = [node.func]
        for target in targets:
            if isinstance(target, (ast.Attribute, ast.Subscript)):
                root = target.value
                while isinstance(root, (ast.Attribute, ast.Subscript)):
                    root = root.value
                if isinstance(root, ast.Name):
                    found.add(root.id)
        stack.extend(ast.iter_child_nodes(node))
    return found


@dataclass(frozen=True)
class Edge:
    """Execution `p` made `name`, which execution `at` (standing at `consumer`) read.

    chain: the names from the tracked cell's read down to `name` (the tracked cell's read
    first). direct: `at` is the current cell reading `name` itself. binder: `p` bound the name
    (else it only changed it in place).
    """

    name: str
    at: int
    consumer: float
    chain: tuple[str, ...]
    p: int
    binder: bool
    direct: bool


#: What a visitor answers for an edge: stop with this value, or descend into `p`'s inputs.
DESCEND, SKIP = True, False


class History:
    """The executions indexed by the names they bind and change."""

    def __init__(self, history: Sequence[HasSource]) -> None:
        self.facts = [facts(item.source) for item in history]
        self.binders: dict[str, list[int]] = {}
        self.modifiers: dict[str, list[int]] = {}
        for at, fact in enumerate(self.facts):
            for name in fact.binds:
                self.binders.setdefault(name, []).append(at)
            for name in fact.modifies:
                self.modifiers.setdefault(name, []).append(at)
        self.current = len(history) - 1

    def made(self, name: str, at: int) -> list[tuple[int, bool]]:
        """The executions before `at` whose work `name` holds there: the last binder, then every
        later in-place change, each with whether it bound the name."""
        bound = [p for p in self.binders.get(name, ()) if p < at]
        if not bound:
            return []
        changed = [p for p in self.modifiers.get(name, ()) if bound[-1] < p < at]
        return [(bound[-1], True), *((p, False) for p in changed)]

    def walk(
        self,
        names: Sequence[str],
        consumer: float,
        visit: Callable[[Edge], object],
        position: Callable[[int, float], float],
    ) -> object:
        """Visit the sources of the current cell's `names` (read at `consumer`) depth first.

        `visit` answers DESCEND, SKIP (do not look at this execution's inputs) or any other
        value, which stops the walk and is returned (None when every edge was visited). An
        execution's reads are walked before its functions' globals, and all of its inputs
        before the next execution that changed the same name. `position(p, consumer)` is where
        `p` reads its own inputs. Each (name, reader, consumer) is walked once, so a cycle or a
        shared input is not walked again.
        """
        seen: set[tuple[str, int, float]] = set()
        stack: list[tuple[str, int, float, tuple[str, ...]] | Edge] = [
            (n, self.current, consumer, ()) for n in reversed(names)
        ]
        while stack:
            item = stack.pop()
            if isinstance(item, Edge):
                answer = visit(item)
                if answer is SKIP:
                    continue
                if answer is not DESCEND:
                    return answer
                fact, here = self.facts[item.p], position(item.p, item.consumer)
                stack += [(n, item.at, item.consumer, item.chain) for n in reversed(fact.closure)]
                stack += [(n, item.p, here, item.chain) for n in reversed(fact.reads)]
                continue
            name, at, where, chain = item
            if (name, at, where) in seen:
                continue
            seen.add((name, at, where))
            chain_to = (*chain, name) if not chain or chain[-1] != name else chain
            stack += [
                Edge(name, at, where, chain_to, p, binder, not chain)
                for p, binder in reversed(self.made(name, at))
            ]
        return None


@dataclass(frozen=True)
class Source:
    """One execution the current cell's values came from.

    at: its position in the history. names: what it bound or changed that the lineage read.
    direct: of those, the names the current cell itself reads (empty: a transitive source).
    """

    at: int
    names: tuple[str, ...]
    direct: tuple[str, ...]


def sources(
    history: Sequence[HasSource],
    reads: Sequence[str] | None = None,
    index: History | None = None,
) -> list[Source]:
    """Every execution the current cell's values came from (the last entry of `history` is the
    current cell, and is not included), in execution order. Re-executing them in that order,
    then the current cell, rebuilds the values it read.

    reads: the names the current cell reads (default: from its source, with the globals its
    functions read). index: ``History(history)``, when the caller has it already.
    """
    if not history:
        return []
    index = index if index is not None else History(history)
    fact = index.facts[index.current]
    names = list(reads) if reads is not None else [*fact.reads, *fact.closure]
    made: dict[int, dict[str, None]] = {}
    direct: dict[int, dict[str, None]] = {}

    def visit(edge: Edge) -> object:
        made.setdefault(edge.p, {})[edge.name] = None
        if edge.direct:
            direct.setdefault(edge.p, {})[edge.name] = None
        return DESCEND

    index.walk(names, 0.0, visit, lambda p, consumer: consumer)
    return [
        Source(p, tuple(sorted(made[p])), tuple(sorted(direct.get(p, {})))) for p in sorted(made)
    ]
