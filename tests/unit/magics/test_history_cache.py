"""What the kernel history keeps between tracked cells gives exactly what computing it afresh
gives: the executions, their places in the saved notebook, the notebook's cells (read again
when the file changes) and the records of the history. A stand-in shell holds IPython's input
history (a list, as ``history_manager.input_hist_raw`` is); no kernel is needed for this."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import nbformat

from mlops_jupyter.magics.history import KernelHistory, read_code_cells
from mlops_jupyter.notebook.dataflow import place


def _shell(sources: list[str], notebook: Path) -> SimpleNamespace:
    raw = ["", *sources]
    return SimpleNamespace(
        history_manager=SimpleNamespace(input_hist_raw=raw),
        user_ns={"__vsc_ipynb_file__": str(notebook)},
        execution_count=len(raw),
    )


def _save(path: Path, sources: list[str], when: float) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    nbformat.write(nb, path)
    os.utime(path, (when, when))


def test_kept_state_equals_state_computed_afresh(tmp_path: Path) -> None:
    path = tmp_path / "nb.ipynb"
    _save(path, ["a = 1", "b = a + 1", "c = b * 2"], 1000.0)
    shell = _shell(["a = 1", "b = a + 1"], path)
    history = KernelHistory(shell)
    for step, source in enumerate(["c = b * 2", "b = 5", "a = 7", "c = b * 2"] * 3):
        shell.history_manager.input_hist_raw.append(source)
        history.started[len(shell.history_manager.input_hist_raw) - 1] = 2000.0 + step
        if step == 5:  # the user saves an edited notebook halfway
            _save(path, ["a = 7", "b = a + 1", "c = b * 2"], 2003.5)
        executed, state = history.executed(), history.notebook()
        fresh = KernelHistory(shell)
        fresh.started = dict(history.started)
        assert executed == fresh.executed()
        assert state.cells == read_code_cells(path) and state.saved_at == path.stat().st_mtime
        assert history.placed(executed, state) == place(executed, state.cells, state.saved_at)
        records = history.records(executed)
        assert [r["execution_count"] for r in records] == [e.execution_count for e in executed]
        assert all(a is b for a, b in zip(records, history.records(executed), strict=True))


def test_unchanged_notebook_is_not_read_again_and_reset_history_is_reread(tmp_path) -> None:
    path = tmp_path / "nb.ipynb"
    _save(path, ["a = 1"], 1000.0)
    shell = _shell(["a = 1", "b = 2"], path)
    history = KernelHistory(shell)
    assert history.notebook() is history.notebook()
    assert [e.source for e in history.executed()] == ["a = 1", "b = 2"]
    shell.history_manager.input_hist_raw[:] = ["", "z = 0"]  # %reset: IPython empties in place
    assert [e.source for e in history.executed()] == ["z = 0"]
    shell.history_manager.input_hist_raw.append("y = z")
    assert [e.source for e in history.executed()] == ["z = 0", "y = z"]
