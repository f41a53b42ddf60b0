"""What the kernel has executed, which notebook it belongs to, and whether its state is hidden.

A notebook's visible code and the kernel's real state drift apart when cells run out of order,
or when a value was made by a cell that has since been edited or deleted. This module compares
the kernel's execution history (IPython's input history, plus cell ids from the front end when
it sends them) with the notebook file on disk, and says when and why they disagree.
"""

from __future__ import annotations

import functools
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlops_jupyter import env
from mlops_jupyter.errors import NotebookError
from mlops_jupyter.notebook.cell_analysis import analyse_cell
from mlops_jupyter.notebook.read import read_notebook
from mlops_jupyter.notebook.roles import cell_tags, roles_of


def source_hash(source: str) -> str:
    """sha256 of a cell's source, ignoring trailing white space."""
    return hashlib.sha256(source.rstrip().encode()).hexdigest()


@dataclass(frozen=True)
class Executed:
    """One execution in this kernel: its count, front-end cell id (if sent) and source."""

    execution_count: int
    cell_id: str | None
    source: str


@dataclass(frozen=True)
class NotebookCell:
    """A code cell of the notebook file."""

    index: int
    cell_id: str | None
    source: str
    tags: tuple[str, ...]


class KernelHistory:
    """Listens to IPython's pre_run_cell event for the cell ids that front ends send."""

    def __init__(self, shell: Any) -> None:
        self.shell = shell
        self.cell_ids: dict[int, str] = {}

    def pre_run_cell(self, info: Any) -> None:
        cell_id = getattr(info, "cell_id", None)
        if cell_id:
            self.cell_ids[self.shell.execution_count] = cell_id

    def register(self) -> None:
        self.shell.events.register("pre_run_cell", self.pre_run_cell)

    def unregister(self) -> None:
        try:
            self.shell.events.unregister("pre_run_cell", self.pre_run_cell)
        except ValueError:
            pass

    def executed(self) -> list[Executed]:
        """Every input of this kernel session so far, in execution order (current cell last)."""
        raw = self.shell.history_manager.input_hist_raw
        return [
            Executed(n, self.cell_ids.get(n), raw[n]) for n in range(1, len(raw)) if raw[n].strip()
        ]


def find_notebook_path(shell: Any) -> Path | None:
    """The notebook this kernel runs: MLOPS_JUPYTER_NOTEBOOK, JupyterLab's JPY_SESSION_NAME,
    or VS Code's __vsc_ipynb_file__; None when nothing names an existing file."""
    candidates = [
        os.environ.get(env.NOTEBOOK),
        os.environ.get("JPY_SESSION_NAME"),
        shell.user_ns.get("__vsc_ipynb_file__"),
        shell.user_ns.get("__session__"),
    ]
    for name in candidates:
        if not name or not isinstance(name, str):
            continue
        path = Path(name)
        for option in (path, Path.cwd() / path.name):
            if option.suffix == ".ipynb" and option.is_file():
                return option.resolve()
    return None


def read_code_cells(path: Path) -> list[NotebookCell]:
    """The code cells of a notebook file (empty when it cannot be read)."""
    try:
        data = read_notebook(path)
    except NotebookError:
        return []
    cells = []
    for index, cell in enumerate(data["cells"]):
        if cell.get("cell_type") != "code":
            continue
        tags = tuple(cell_tags(cell))
        cells.append(NotebookCell(index, cell.get("id"), cell["source"], tags))
    return cells


def match_cells(history: list[Executed], cells: list[NotebookCell]) -> list[NotebookCell | None]:
    """The notebook cell of each execution: by cell id when known, else by identical source."""
    by_id = {c.cell_id: c for c in cells if c.cell_id}
    by_hash: dict[str, list[NotebookCell]] = {}
    for candidate in cells:
        by_hash.setdefault(source_hash(candidate.source), []).append(candidate)
    matched: list[NotebookCell | None] = []
    previous = -1
    for item in history:
        cell = by_id.get(item.cell_id) if item.cell_id else None
        if cell is not None and source_hash(cell.source) != source_hash(item.source):
            cell = None  # same cell, edited since: its executed code is no longer visible
        elif cell is None and not item.cell_id:
            options = by_hash.get(source_hash(item.source), [])
            later = [c for c in options if c.index >= previous]
            cell = next(iter(later or options), None)
        matched.append(cell)
        if cell is not None:
            previous = cell.index
    return matched


def is_parameters_source(source: str) -> bool:
    """papermill's injected-parameters cell, known by its first line (roles.ROLE_SOURCES)."""
    return roles_of(source).injected


def hidden_state(
    history: list[Executed], cells: list[NotebookCell], reads: list[str]
) -> tuple[bool | None, str]:
    """(flag, reason) for the current cell, the last entry of `history`.

    Flagged when the executions are not in the notebook's top-to-bottom order, or when a name
    the cell reads was last assigned by code that no longer stands in the notebook. None when
    the notebook file is unknown.
    """
    if not cells:
        return None, "the notebook file was not found, so the order could not be checked"
    matched = match_cells(history, cells)
    last_index = -1
    for item, cell in zip(history[:-1], matched[:-1]):
        if cell is None:
            continue
        if cell.index < last_index:
            return True, (
                f"cells ran out of order: execution [{item.execution_count}] ran the "
                f"cell at position {cell.index + 1} after a cell further down"
            )
        last_index = cell.index
    current = matched[-1]
    if current is not None and current.index < last_index:
        return True, (
            f"this cell (position {current.index + 1}) ran after cells further down the notebook"
        )
    assigner: dict[str, int] = {}
    for pos, item in enumerate(history[:-1]):
        for name in _binds(item.source):
            assigner[name] = pos
    for name in reads:
        at = assigner.get(name)
        if at is not None and matched[at] is None and not is_parameters_source(history[at].source):
            return True, (
                f"'{name}' was last assigned by execution "
                f"[{history[at].execution_count}], whose code has since been edited "
                "or deleted from the notebook"
            )
    return False, ""


@functools.lru_cache(maxsize=4096)
def _binds(source: str) -> frozenset[str]:
    """Names a past execution bound (cached: a long session re-reads the same sources)."""
    return frozenset(analyse_cell(source).binds)


def parameter_names(history: list[Executed], cells: list[NotebookCell]) -> list[str]:
    """Names assigned by the notebook's `parameters` cell or papermill's injected cell, as run."""
    matched = match_cells(history, cells) if cells else [None] * len(history)
    names: list[str] = []
    for item, cell in zip(history, matched):
        roles = roles_of(item.source, cell.tags if cell is not None else ())
        if roles.parameters or roles.injected:
            names += [n for n in analyse_cell(item.source).assigns if n not in names]
    return names
