"""What the kernel has executed, which notebook it belongs to, and whether its state is hidden.

The kernel's execution history is IPython's input history plus, for each execution, the cell id
the front end sent and when it started; ``notebook.dataflow`` compares it with the saved file.
"""

from __future__ import annotations

import functools
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlops_jupyter import env
from mlops_jupyter.errors import NotebookError
from mlops_jupyter.notebook.cell_analysis import analyse_cell
from mlops_jupyter.notebook.dataflow import (
    Executed,
    NotebookCell,
    Placed,
    Placement,
    cell_roles,
    place,
    source_hash,
)
from mlops_jupyter.notebook.read import read_notebook
from mlops_jupyter.notebook.roles import cell_tags

__all__ = [
    "Executed",
    "KernelHistory",
    "NotebookCell",
    "NotebookState",
    "find_notebook_path",
    "parameter_names",
    "read_code_cells",
    "saved_time",
    "source_hash",
]


@dataclass(frozen=True)
class NotebookState:
    """The notebook file a kernel runs (None: not found), its saved code cells (shared between
    cells: do not change them) and when it was saved."""

    path: Path | None
    cells: list[NotebookCell]
    saved_at: float | None


class KernelHistory:
    """Listens to IPython's pre_run_cell event for the cell id and start time of each execution.

    Inside ``pre_run_cell`` the shell's ``execution_count`` is already the NEXT count (IPython
    increments it before triggering the event), so the running cell's count is one less when it
    stores history. The cell id is the ``cellId`` JupyterLab sends in the execute request's
    metadata: IPython passes it as ``info.cell_id``; the kernel's parent header is the fallback.
    """

    def __init__(self, shell: Any) -> None:
        self.shell = shell
        self.cell_ids: dict[int, str] = {}
        self.started: dict[int, float] = {}
        self._executed: list[Executed] = []  # the entries of input_hist_raw[1:scanned]
        self._scanned = 1
        self._notebook: tuple[tuple[Any, ...], NotebookState] | None = None
        self._placed: _Placing | None = None
        self._records: dict[int, tuple[Executed, dict[str, Any]]] = {}

    def pre_run_cell(self, info: Any) -> None:
        if getattr(info, "silent", False) or not getattr(info, "store_history", True):
            return
        count = self.shell.execution_count - 1
        self.started[count] = time.time()
        cell_id = getattr(info, "cell_id", None) or _parent_cell_id(self.shell)
        if cell_id:
            self.cell_ids[count] = str(cell_id)

    def register(self) -> None:
        self.shell.events.register("pre_run_cell", self.pre_run_cell)

    def unregister(self) -> None:
        try:
            self.shell.events.unregister("pre_run_cell", self.pre_run_cell)
        except ValueError:
            pass

    def executed(self) -> list[Executed]:
        """Every input of this kernel session so far, in execution order (current cell last).

        Built once per input: an input's source, cell id and start time are all known when it
        is stored (pre_run_cell fires first), so only the inputs stored since the last call are
        read. A history that shrank or changed (``%reset``) is read again from the start.
        """
        raw = self.shell.history_manager.input_hist_raw
        known = self._executed
        if len(raw) < self._scanned or (
            known and raw[known[-1].execution_count] is not known[-1].source
        ):
            known, self._scanned, self._placed = [], 1, None
        known += [
            Executed(n, self.cell_ids.get(n), raw[n], self.started.get(n))
            for n in range(self._scanned, len(raw))
            if raw[n].strip()
        ]
        self._executed, self._scanned = known, len(raw)
        return list(known)

    def records(self, executed: list[Executed]) -> list[dict[str, Any]]:
        """The execution history a run records: count, cell id and source hash of each input.

        Each record is made once and shared by every later run (do not change them), so that
        the blocks the store keeps of it are the same objects run after run and encoded once.
        """
        made = self._records
        out = []
        for item in executed:
            known = made.get(item.execution_count)
            if known is None or known[0] is not item:
                record = {
                    "execution_count": item.execution_count,
                    "cell_id": item.cell_id,
                    "source_sha256": source_hash(item.source),
                }
                known = made[item.execution_count] = (item, record)
            out.append(known[1])
        return out

    def notebook(self) -> NotebookState:
        """The notebook this kernel runs and its saved code cells, read again only when the
        file's name, size or modification time changed since the last tracked cell."""
        path = find_notebook_path(self.shell)
        try:
            stat = path.stat() if path is not None else None
        except OSError:
            stat = None
        key = (path, stat.st_mtime_ns, stat.st_size) if path and stat else (path,)
        if self._notebook is not None and self._notebook[0] == key:
            return self._notebook[1]
        state = NotebookState(
            path,
            read_code_cells(path) if path is not None else [],
            stat.st_mtime if stat is not None else None,
        )
        self._notebook = (key, state)
        return state

    def placed(self, executed: list[Executed], state: NotebookState) -> list[Placed]:
        """``dataflow.place(executed, state.cells, state.saved_at)``, placing only the executions
        added since the last call while the saved notebook stays the same."""
        done = self._placed
        if (
            done is None
            or done.state is not state
            or len(done.placed) > len(executed)
            or (done.placed and executed[len(done.placed) - 1] is not done.last)
        ):
            done = _Placing(state, Placement(state.cells, state.saved_at))
        done.placed += done.placement.extend(executed[len(done.placed) :])
        done.last = executed[-1] if executed else None
        self._placed = done
        return list(done.placed)


@dataclass
class _Placing:
    """The executions placed so far in one saved notebook, to place only the new ones next."""

    state: NotebookState
    placement: Placement
    placed: list[Placed] = field(default_factory=list)
    last: Executed | None = None


def _parent_cell_id(shell: Any) -> str | None:
    """``cellId`` from the metadata of the execute request the kernel is answering, if any."""
    kernel = getattr(shell, "kernel", None)
    try:
        parent = kernel.get_parent() if kernel is not None else getattr(shell, "parent_header", {})
        value = (parent or {}).get("metadata", {}).get("cellId")
    except Exception:
        return None
    return value if isinstance(value, str) and value else None


def find_notebook_path(shell: Any) -> Path | None:
    """The notebook this kernel runs: MLOPS_JUPYTER_NOTEBOOK, JupyterLab's JPY_SESSION_NAME,
    or VS Code's __vsc_ipynb_file__; None when nothing names an existing file."""
    candidates = [
        os.environ.get(env.NOTEBOOK),
        os.environ.get("JPY_SESSION_NAME"),
        shell.user_ns.get("__vsc_ipynb_file__"),
        shell.user_ns.get("__session__"),
    ]
    cwd = os.getcwd()
    for name in candidates:
        if not name or not isinstance(name, str):
            continue
        for option in _options(name, cwd):
            if os.path.isfile(option):
                return _resolved(option, cwd)
    return None


@functools.lru_cache(maxsize=64)
def _options(name: str, cwd: str) -> tuple[str, ...]:
    """Where a notebook name may point: itself, then its file name in the working folder."""
    path = Path(name)
    return tuple(str(o) for o in (path, Path(cwd) / path.name) if o.suffix == ".ipynb")


@functools.lru_cache(maxsize=64)
def _resolved(option: str, cwd: str) -> Path:
    """The absolute, symlink-free path (resolving walks every folder: once per name)."""
    return (Path(cwd) / option).resolve()


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


def saved_time(path: Path | None) -> float | None:
    """When the notebook file was last saved (its modification time), None when unknown."""
    try:
        return path.stat().st_mtime if path is not None else None
    except OSError:
        return None


def is_parameters_source(source: str) -> bool:
    """papermill's injected-parameters cell, known by its first line (roles.ROLE_SOURCES)."""
    return cell_roles(source).injected


def parameter_names(
    history: list[Executed], cells: list[NotebookCell], placed: list[Placed] | None = None
) -> list[str]:
    """Names assigned by the notebook's `parameters` cell or papermill's injected cell, as run
    (`placed`: the executions' places, when the caller has them)."""
    placed = placed if placed is not None else place(history, cells) if cells else []
    names: list[str] = []
    for at, item in enumerate(history):
        cell = placed[at].cell if placed else None
        roles = cell_roles(item.source, tuple(cell.tags) if cell is not None else ())
        if roles.parameters or roles.injected:
            names += [n for n in analyse_cell(item.source).assigns if n not in names]
    return names
