"""Hidden state judged by dataflow: does the saved notebook, run top to bottom, give the values
the current cell read?

Out-of-order execution alone is not hidden state. For each name the current cell reads, the
execution that last bound it (and any later one that changed it in place) is found in the
kernel's history, then checked: it must stand in the saved notebook unchanged, sit above the
cell that read it, and not be shadowed by a cell in between that binds the name again; its own
inputs are checked the same way, so a value derived from a bad one is bad too. The first problem
found is the verdict, with the variable, the cell (position and first line) and the fix.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import math
from dataclasses import dataclass

from mlops_jupyter.notebook.cell_analysis import python_source
from mlops_jupyter.notebook.names import closure_reads, scan
from mlops_jupyter.notebook.roles import Roles, roles_of

_IGNORED = frozenset({"In", "Out", "get_ipython", "exit", "quit", "display", "print"})
# Method calls that change their object in place (lists, dicts, sets, estimators, frames).
_MUTATORS = frozenset(
    {
        "append", "extend", "insert", "pop", "remove", "clear", "update", "sort", "reverse",
        "add", "discard", "setdefault", "popitem", "fit", "partial_fit", "fit_transform",
        "set_params", "load_state_dict", "train", "step", "rename_axis", "__setitem__",
    }
)  # fmt: skip
UNKNOWN = math.inf  # position of an execution whose cell cannot be placed in the notebook


@functools.lru_cache(maxsize=8192)
def cell_roles(source: str, tags: tuple[str, ...] = ()) -> Roles:
    """``roles.roles_of``, cached: every tracked cell re-reads the whole history's roles.
    The result is shared: do not change it."""
    return roles_of(source, tags)


@functools.lru_cache(maxsize=8192)
def source_hash(source: str) -> str:
    """sha256 of a cell's source, ignoring trailing white space."""
    return hashlib.sha256(source.rstrip().encode()).hexdigest()


@dataclass(frozen=True)
class Executed:
    """One execution in the kernel: its count, front-end cell id (if sent), source, start time."""

    execution_count: int
    cell_id: str | None
    source: str
    started: float | None = None  # time.time() at pre_run_cell; None before the extension


@dataclass(frozen=True)
class NotebookCell:
    """A code cell of the saved notebook; `index` counts every cell, markdown included."""

    index: int
    cell_id: str | None
    source: str
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Placed:
    """Where an execution's code stands in the saved notebook.

    state: ``current`` (the cell shows this code), ``unsaved`` (ran after the last save: the
    editor shows it, the file does not yet), ``edited`` (the cell was changed and saved since),
    ``gone`` (no cell shows this code: deleted, or edited without re-running), ``injected``
    (papermill's parameters cell, which the source notebook never holds).
    """

    cell: NotebookCell | None
    state: str
    position: float  # cell index; UNKNOWN when it cannot be placed


@dataclass(frozen=True)
class Verdict:
    """The hidden-state judgement of one cell. flag None: the notebook file is unknown."""

    flag: bool | None
    reason: str = ""
    variable: str | None = None
    cell: int | None = None  # 1-based position of the cell to fix, when there is one


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


def place(
    history: list[Executed], cells: list[NotebookCell], saved_at: float | None = None
) -> list[Placed]:
    """The notebook cell of each execution: by cell id when the front end sent one, else by
    identical source (the next such cell down). `saved_at` is the file's modification time: an
    execution after it whose code the file lacks is unsaved, not edited."""
    by_id = {c.cell_id: c for c in cells if c.cell_id}
    by_hash: dict[str, list[NotebookCell]] = {}
    for candidate in cells:
        by_hash.setdefault(source_hash(candidate.source), []).append(candidate)
    parameters = next((c.index for c in cells if cell_roles(c.source, c.tags).parameters), -1.0)
    placed: list[Placed] = []
    previous = -1
    for item in history:
        after_save = item.started is not None and saved_at is not None and item.started >= saved_at
        digest = source_hash(item.source)
        cell = by_id.get(item.cell_id) if item.cell_id else None
        if cell is None and cell_roles(item.source).injected:
            placed.append(Placed(None, "injected", parameters + 0.5))
            continue
        if cell is None and not item.cell_id:
            options = by_hash.get(digest, [])
            cell = next(iter([c for c in options if c.index >= previous] or options), None)
        if cell is None:
            placed.append(Placed(None, "unsaved" if after_save else "gone", UNKNOWN))
            continue
        same = source_hash(cell.source) == digest
        state = "current" if same else "unsaved" if after_save else "edited"
        placed.append(Placed(cell, state, float(cell.index)))
        previous = cell.index
    return placed


class _Judge:
    """One judgement: the history indexed by name, and the checks with their memo."""

    def __init__(self, history: list[Executed], cells: list[NotebookCell], placed: list[Placed]):
        self.history, self.cells, self.placed = history, cells, placed
        self.facts = [facts(item.source) for item in history]
        self.binders: dict[str, list[int]] = {}
        self.modifiers: dict[str, list[int]] = {}
        for at, fact in enumerate(self.facts):
            for name in fact.binds:
                self.binders.setdefault(name, []).append(at)
            for name in fact.modifies:
                self.modifiers.setdefault(name, []).append(at)
        self.memo: dict[tuple[str, int, float], Verdict | None] = {}
        self.current = len(history) - 1

    def value(self, name: str, at: int, consumer: float, chain: tuple[str, ...]) -> Verdict | None:
        """The problem with the value of `name` that execution `at` (at `consumer`) read."""
        key = (name, at, consumer)
        if key in self.memo:
            return self.memo[key]
        self.memo[key] = None  # a cycle reads a value already being checked
        bound = [p for p in self.binders.get(name, ()) if p < at]
        problem = None
        if bound:
            binder = bound[-1]
            changed = [p for p in self.modifiers.get(name, ()) if binder < p < at]
            for p in [binder, *changed]:
                problem = self.execution(p, name, at, consumer, chain, binder=p == binder)
                if problem is not None:
                    break
        self.memo[key] = problem
        return problem

    def execution(
        self, p: int, name: str, at: int, consumer: float, chain: tuple[str, ...], binder: bool
    ) -> Verdict | None:
        """The problem with execution `p`, which made `name` for execution `at`."""
        placed, item = self.placed[p], self.history[p]
        chain = (*chain, name) if not chain or chain[-1] != name else chain
        if placed.state == "injected":
            return None
        if placed.state == "gone":
            return self.flag(chain, _gone(item), None)
        assert placed.cell is not None or placed.position == UNKNOWN
        cell = placed.cell
        if cell is not None and placed.state == "edited":
            text = f"{_cell(cell)}, which has been edited since it ran"
            return self.flag(chain, text, cell, f"re-run cell {cell.index + 1}, then this cell")
        if cell is not None and consumer != UNKNOWN and placed.position >= consumer:
            return self.flag(chain, *self.below(p, cell, at))
        if binder and cell is not None:
            shadow = self.shadow(name, placed.position, consumer, at)
            if shadow is not None:
                text = (
                    f"{_cell(cell)}, but {_cell(shadow)} below it binds '{name}' again, so run "
                    f"top to bottom the notebook gives {_cell_ref(shadow)}'s value"
                )
                fix = f"re-run cell {shadow.index + 1}, then this cell"
                return self.flag(chain, text, shadow, fix)
        position = placed.position if placed.position != UNKNOWN else consumer
        for read in self.facts[p].reads:
            problem = self.value(read, p, position, chain)
            if problem is not None:
                return problem
        for read in self.facts[p].closure:  # its functions read these when called, i.e. now
            problem = self.value(read, at, consumer, chain)
            if problem is not None:
                return problem
        return None

    def below(self, p: int, cell: NotebookCell, at: int) -> tuple[str, NotebookCell, str]:
        """Why an execution at or below its reader is hidden state, and the fix."""
        count = self.history[p].execution_count
        if self.placed[at].cell is cell:
            who = "this cell" if at == self.current else _cell(cell)
            return (
                f"an earlier run of {who} ([{count}]), which changes its own input; "
                "run top to bottom it reads the value from the cells above",
                cell,
                "restart and run all",
            )
        return (
            f"{_cell(cell)}, which is below the cell that reads it; run top to bottom that "
            "value does not exist yet",
            cell,
            f"move cell {cell.index + 1} above, or restart and run all",
        )

    def shadow(self, name: str, low: float, high: float, at: int) -> NotebookCell | None:
        """A saved cell strictly between `low` and `high` that binds `name` (the last one)."""
        found = None
        for cell in self.cells:
            fact = facts(cell.source)
            if low < cell.index < high and name in fact.binds and name not in fact.imports:
                found = cell
        return found

    def flag(
        self, chain: tuple[str, ...], text: str, cell: NotebookCell | None, fix: str = ""
    ) -> Verdict:
        """The verdict for a problem found through `chain` (the tracked cell's read first)."""
        fix = fix or "restart and run all"
        name, via = chain[-1], chain[0]
        head = f"'{name}' was set by" if name == via else f"'{via}' derives from '{name}', set by"
        position = cell.index + 1 if cell is not None else None
        return Verdict(True, f"{head} {text}. Fix: {fix}.", name, position)


def _first_line(source: str) -> str:
    lines = [line.strip() for line in source.splitlines() if line.strip()]
    line = lines[0] if lines else ""
    if line.startswith("%%") and len(lines) > 1:
        line = lines[1]
    return line if len(line) <= 40 else line[:37] + "..."


def _cell(cell: NotebookCell) -> str:
    return f"cell {cell.index + 1} ({_first_line(cell.source)!r})"


def _cell_ref(cell: NotebookCell) -> str:
    return f"cell {cell.index + 1}"


def _gone(item: Executed) -> str:
    where = "deleted" if item.cell_id else "deleted or edited"
    return (
        f"execution [{item.execution_count}] ({_first_line(item.source)!r}), whose cell has "
        f"since been {where}"
    )


def judge(
    history: list[Executed],
    cells: list[NotebookCell],
    saved_at: float | None = None,
    reads: list[str] | None = None,
) -> Verdict:
    """The verdict for the current cell, the last entry of `history`.

    Args:
        history: every execution of the kernel so far, current cell last.
        cells: the saved notebook's code cells; empty when the file is unknown.
        saved_at: the file's modification time (executions after it may be unsaved).
        reads: the names the current cell reads (default: from its source).
    """
    if not cells:
        return Verdict(None, "the notebook file was not found, so the order could not be checked")
    if not history:
        return Verdict(False)
    placed = place(history, cells, saved_at)
    judge_ = _Judge(history, cells, placed)
    current = len(history) - 1
    fact = judge_.facts[current]
    names = reads if reads is not None else [*fact.reads, *fact.closure]
    for name in names:
        problem = judge_.value(name, current, placed[current].position, ())
        if problem is not None:
            return problem
    return Verdict(False)


def lineage(history: list[Executed], reads: list[str] | None = None) -> list[int]:
    """Positions in `history` of the executions the current cell's values came from (what
    bound or changed them, and transitively their inputs), in execution order; the current cell
    (the last entry) is not included. Re-executing them in that order, then the current cell,
    rebuilds the values it read."""
    if not history:
        return []
    index = _Judge(history, [], [Placed(None, "current", UNKNOWN)] * len(history))
    current = len(history) - 1
    fact = index.facts[current]
    wanted: list[tuple[str, int]] = [
        (n, current) for n in (reads if reads is not None else [*fact.reads, *fact.closure])
    ]
    found: set[int] = set()
    seen: set[tuple[str, int]] = set()
    while wanted:
        name, at = wanted.pop()
        if (name, at) in seen:
            continue
        seen.add((name, at))
        bound = [p for p in index.binders.get(name, ()) if p < at]
        if not bound:
            continue
        changed = [p for p in index.modifiers.get(name, ()) if bound[-1] < p < at]
        for p in [bound[-1], *changed]:
            if p not in found:
                found.add(p)
                wanted += [(n, p) for n in index.facts[p].reads]
                wanted += [(n, at) for n in index.facts[p].closure]
    return sorted(found)
