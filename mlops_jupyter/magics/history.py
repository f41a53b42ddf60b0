"""What the kernel has executed, which notebook it belongs to, and whether its state is hidden.

The kernel's execution history is IPython's input history plus, for each execution, the cell id
the front end sent and when it started; ``notebook.dataflow`` compares it with the saved file.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from mlops_jupyter import env
from mlops_jupyter.errors import NotebookError
from mlops_jupyter.notebook.cell_analysis import analyse_cell
from mlops_jupyter.notebook.dataflow import (
    Executed,
    NotebookCell,
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
    "find_notebook_path",
    "parameter_names",
    "read_code_cells",
    "saved_time",
    "source_hash",
]


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
        """Every input of this kernel session so far, in execution order (current cell last)."""
        raw = self.shell.history_manager.input_hist_raw
        return [
            Executed(n, self.cell_ids.get(n), raw[n], self.started.get(n))
            for n in range(1, len(raw))
            if raw[n].strip()
        ]


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


def saved_time(path: Path | None) -> float | None:
    """When the notebook file was last saved (its modification time), None when unknown."""
    try:
        return path.stat().st_mtime if path is not None else None
    except OSError:
        return None


def is_parameters_source(source: str) -> bool:
    """papermill's injected-parameters cell, known by its first line (roles.ROLE_SOURCES)."""
    return cell_roles(source).injected


def parameter_names(history: list[Executed], cells: list[NotebookCell]) -> list[str]:
    """Names assigned by the notebook's `parameters` cell or papermill's injected cell, as run."""
    placed = place(history, cells) if cells else []
    names: list[str] = []
    for at, item in enumerate(history):
        cell = placed[at].cell if placed else None
        roles = cell_roles(item.source, tuple(cell.tags) if cell is not None else ())
        if roles.parameters or roles.injected:
            names += [n for n in analyse_cell(item.source).assigns if n not in names]
    return names
