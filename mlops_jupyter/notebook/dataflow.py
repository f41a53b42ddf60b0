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

import functools
import hashlib
import math
from dataclasses import dataclass

from mlops_jupyter.notebook.flow import DESCEND, SKIP, Edge, Facts, History, facts, sources
from mlops_jupyter.notebook.roles import Roles, roles_of

__all__ = [
    "Executed",
    "Facts",
    "History",
    "NotebookCell",
    "Placed",
    "Placement",
    "Verdict",
    "cell_roles",
    "facts",
    "judge",
    "lineage",
    "place",
    "source_hash",
]

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


def place(
    history: list[Executed], cells: list[NotebookCell], saved_at: float | None = None
) -> list[Placed]:
    """The notebook cell of each execution: by cell id when the front end sent one, else by
    identical source (the next such cell down). `saved_at` is the file's modification time: an
    execution after it whose code the file lacks is unsaved, not edited."""
    return Placement(cells, saved_at).extend(history)


class Placement:
    """`place`, resumable: the saved cells indexed once, and where the last execution stood, so
    that a kernel places each execution once rather than its whole history at every cell."""

    def __init__(self, cells: list[NotebookCell], saved_at: float | None = None) -> None:
        self.saved_at = saved_at
        self.by_id = {c.cell_id: c for c in cells if c.cell_id}
        self.by_hash: dict[str, list[NotebookCell]] = {}
        for candidate in cells:
            self.by_hash.setdefault(source_hash(candidate.source), []).append(candidate)
        self.parameters = next(
            (c.index for c in cells if cell_roles(c.source, c.tags).parameters), -1.0
        )
        self.previous = -1

    def extend(self, history: list[Executed]) -> list[Placed]:
        """The places of `history`, the executions that follow those placed before."""
        return [self._one(item) for item in history]

    def _one(self, item: Executed) -> Placed:
        saved_at = self.saved_at
        after_save = item.started is not None and saved_at is not None and item.started >= saved_at
        digest = source_hash(item.source)
        cell = self.by_id.get(item.cell_id) if item.cell_id else None
        if cell is None and cell_roles(item.source).injected:
            return Placed(None, "injected", self.parameters + 0.5)
        if cell is None and not item.cell_id:
            options = self.by_hash.get(digest, [])
            cell = next(iter([c for c in options if c.index >= self.previous] or options), None)
        if cell is None:
            return Placed(None, "unsaved" if after_save else "gone", UNKNOWN)
        same = source_hash(cell.source) == digest
        state = "current" if same else "unsaved" if after_save else "edited"
        self.previous = cell.index
        return Placed(cell, state, float(cell.index))


class _Judge:
    """One judgement: the checks of each edge of the walk (``flow.History.walk``)."""

    def __init__(
        self,
        history: list[Executed],
        cells: list[NotebookCell],
        placed: list[Placed],
        index: History | None = None,
    ):
        self.history, self.cells, self.placed = history, cells, placed
        self.index = index if index is not None else History(history)
        self.current = len(history) - 1

    def position(self, p: int, consumer: float) -> float:
        """Where execution `p` reads its own inputs: its cell, else where its reader stands."""
        position = self.placed[p].position
        return position if position != UNKNOWN else consumer

    def check(self, edge: Edge) -> object:
        """The problem with execution `edge.p`, which made `edge.name` for `edge.at`: a Verdict,
        else DESCEND into its inputs (SKIP for papermill's injected parameters)."""
        p, chain, consumer = edge.p, edge.chain, edge.consumer
        placed, item = self.placed[p], self.history[p]
        if placed.state == "injected":
            return SKIP
        if placed.state == "gone":
            return self.flag(chain, _gone(item), None)
        assert placed.cell is not None or placed.position == UNKNOWN
        cell = placed.cell
        if cell is not None and placed.state == "edited":
            text = f"{_cell(cell)}, which has been edited since it ran"
            return self.flag(chain, text, cell, f"re-run cell {cell.index + 1}, then this cell")
        if cell is not None and consumer != UNKNOWN and placed.position >= consumer:
            return self.flag(chain, *self.below(p, cell, edge.at))
        if edge.binder and cell is not None:
            shadow = self.shadow(edge.name, placed.position, consumer, edge.at)
            if shadow is not None:
                text = (
                    f"{_cell(cell)}, but {_cell(shadow)} below it binds '{edge.name}' again, so "
                    f"run top to bottom the notebook gives {_cell_ref(shadow)}'s value"
                )
                fix = f"re-run cell {shadow.index + 1}, then this cell"
                return self.flag(chain, text, shadow, fix)
        return DESCEND

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
    placed: list[Placed] | None = None,
    index: History | None = None,
) -> Verdict:
    """The verdict for the current cell, the last entry of `history`.

    Args:
        history: every execution of the kernel so far, current cell last.
        cells: the saved notebook's code cells; empty when the file is unknown.
        saved_at: the file's modification time (executions after it may be unsaved).
        reads: the names the current cell reads (default: from its source).
        placed: ``place(history, cells, saved_at)``, when the caller has it already.
        index: ``flow.History(history)``, when the caller has it already (``flow.sources``
            walks the same one).
    """
    if not cells:
        return Verdict(None, "the notebook file was not found, so the order could not be checked")
    if not history:
        return Verdict(False)
    placed = placed if placed is not None else place(history, cells, saved_at)
    judge_ = _Judge(history, cells, placed, index)
    fact = judge_.index.facts[judge_.current]
    names = reads if reads is not None else [*fact.reads, *fact.closure]
    problem = judge_.index.walk(
        names, placed[judge_.current].position, judge_.check, judge_.position
    )
    return problem if isinstance(problem, Verdict) else Verdict(False)


def lineage(history: list[Executed], reads: list[str] | None = None) -> list[int]:
    """Positions in `history` of the executions the current cell's values came from, in
    execution order (``flow.sources``, the walk the verdict checks)."""
    return [source.at for source in sources(history, reads)]
