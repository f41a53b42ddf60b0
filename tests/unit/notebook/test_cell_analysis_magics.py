"""The static cell analysis reads the Python of cells that hold `%`, `!` and `%%` lines (D17)."""

from __future__ import annotations

from mlops_jupyter.magics.history import Executed, NotebookCell, parameter_names
from mlops_jupyter.notebook.cell_analysis import analyse_cell
from mlops_jupyter.notebook.dataflow import judge


def test_magic_and_shell_lines_do_not_hide_the_python_lines() -> None:
    names = analyse_cell("%time q = 1\n!echo hi\nq2 = q + 1\nfiles = !ls\nscaled = lr * 2\n")
    assert names.assigns == ["q2", "files", "scaled"]
    assert names.reads == ["q", "lr"]  # IPython's get_ipython() is not a user global


def test_indented_magic_lines_inside_blocks_are_read_too() -> None:
    names = analyse_cell("for i in range(epochs):\n    %time loss = i\n    best = i\n")
    assert "epochs" in names.reads and {"i", "best"} <= names.binds


def test_a_cell_magic_is_read_as_its_body() -> None:
    assert analyse_cell("%%time\nacc = model_score\n").assigns == ["acc"]
    assert analyse_cell("\n%%time\n%%capture out\nacc = 1\n").assigns == ["acc"]
    assert analyse_cell("%%bash\necho $HOME\n").assigns == []  # not Python: nothing, no error


def test_python_source_is_what_ipython_runs() -> None:
    from mlops_jupyter.notebook.cell_analysis import python_source

    assert python_source("!echo hi\n") == "get_ipython().system('echo hi')\n"
    assert python_source("x = (1,") == "x = (1,\n"  # unparsable text stays as it is
    assert analyse_cell("x = (1,").assigns == []


def test_hidden_state_sees_names_bound_next_to_magic_lines() -> None:
    """The history side uses the same rule: `%pip` in a deleted cell no longer hides its `x`."""
    history = [Executed(1, None, "%pip install nothing\nx = 1"), Executed(2, None, "y = x + 1")]
    cells = [NotebookCell(0, None, "y = x + 1", ())]
    verdict = judge(history, cells)
    assert verdict.flag is True and "'x' was set by execution [1]" in verdict.reason


def test_parameters_cell_with_a_magic_line_still_gives_its_names() -> None:
    history = [Executed(1, None, "%matplotlib inline\nlr = 0.1\nepochs = 3")]
    cells = [NotebookCell(0, None, history[0].source, ("parameters",))]
    assert parameter_names(history, cells) == ["lr", "epochs"]
