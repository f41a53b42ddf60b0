"""Run tiny notebooks in real IPython kernels (nbclient), in any execution order."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from mlops_jupyter.store import RunStore
from tests.support.nbhelpers import make_notebook

__all__ = ["KernelRunner", "make_notebook"]  # `from tests.kernel.conftest import make_notebook`


class KernelRunner:
    """Executes a notebook's cells in a chosen order in one kernel, the file saved on disk."""

    def __init__(self, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.folder = folder
        self.monkeypatch = monkeypatch

    def __call__(
        self,
        cells: list,
        order: list[int | Callable[[nbformat.NotebookNode, Path], None]] | None = None,
        *,
        name: str = "nb.ipynb",
        allow_errors: bool = False,
    ) -> nbformat.NotebookNode:
        """Run `order` (cell indices; a callable in it is called with (nb, path) at that point,
        e.g. to edit and save the notebook between executions)."""
        nb = cells if isinstance(cells, nbformat.NotebookNode) else make_notebook(cells)
        path = self.folder / name
        nbformat.write(nb, path)
        self.monkeypatch.setenv("MLOPS_JUPYTER_NOTEBOOK", str(path))
        client = NotebookClient(
            nb,
            timeout=60,
            kernel_name="python3",
            allow_errors=allow_errors,
            resources={"metadata": {"path": str(self.folder)}},
        )
        with client.setup_kernel():
            for step in order if order is not None else range(len(nb.cells)):
                if callable(step):
                    step(nb, path)
                else:
                    client.execute_cell(nb.cells[step], step)
        return nb


@pytest.fixture
def run_cells(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> KernelRunner:
    return KernelRunner(tmp_path, monkeypatch)


@pytest.fixture
def store() -> RunStore:
    return RunStore(os.environ["MLOPS_JUPYTER_STORE"])
