"""``%runs diff A B``: why two runs differ, printed as `runs diff` prints it (plain text, so no
value of a run is ever rendered as HTML)."""

from __future__ import annotations

from IPython.core.error import UsageError


def diff_magic(words: list[str]) -> None:
    """Print the differences between two runs (tracking/diff.py), one line each."""
    if len(words) != 2:
        raise UsageError("usage: %runs diff RUN_A RUN_B")
    from mlops_jupyter.store import open_store
    from mlops_jupyter.tracking.diff import diff_runs, diff_text

    store = open_store()
    a, b = store.get_run(words[0]), store.get_run(words[1])
    print(diff_text(diff_runs(a, b, store.read_artifact), a, b))
