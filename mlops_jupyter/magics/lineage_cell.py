"""The data lineage of one ``%%track`` execution: the files it read, the frames it showed, and
the cells its inputs came from, recorded on its run with no call in the notebook.

Recording is one context manager around the cell's execution (`recorded_inputs`); everything
it does after the cell is guarded, so a failing hook or an unreadable file is one warning line
and the cell's own result and exception stand.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from mlops_jupyter.notebook.dataflow import Executed
from mlops_jupyter.notebook.flow import History, sources
from mlops_jupyter.tracking import read_hooks
from mlops_jupyter.tracking.fingerprint import fingerprint_if_frame
from mlops_jupyter.tracking.inputs import record_reads


def _warn(message: str) -> None:
    warnings.warn(f"mlops-jupyter: {message}", RuntimeWarning, stacklevel=4)


@contextmanager
def recorded_inputs(cell: Any, capture: Any, result: list[Any]) -> Iterator[None]:
    """Note the files `cell` reads while the block runs; then record them, the fingerprints of
    the frames it displayed or returned on ``cell.run``."""
    if cell.run is None:
        yield
        return
    try:
        recording = read_hooks.recording(cell.shell.user_ns)
        reads = recording.__enter__()
    except Exception as err:
        _warn(f"installing the read hooks failed (inputs not recorded): {err}")
        yield
        return
    try:
        yield
    finally:
        recording.__exit__(None, None, None)
        try:
            problems = _record(cell, reads, capture, result)
        except Exception as err:
            problems = [f"{type(err).__name__}: {err}"]
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            _warn(f"recording the cell's inputs: {problems[0]}{more}")


def _record(cell: Any, reads: read_hooks.Reads, capture: Any, result: list[Any]) -> list[str]:
    run = cell.run
    problems = record_reads(run, reads)
    frames = []
    shown = list(capture.tables) if capture is not None else []
    if result and all(result[0] is not t for t in shown):
        shown.append(result[0])
    for i, frame in enumerate(shown):
        fingerprint = fingerprint_if_frame(frame)
        if fingerprint is not None:
            frames.append({"name": f"table_{i + 1}", **fingerprint})
    if frames:  # the input cells were recorded with the run, when it started
        run.store.set_provenance(run.run_id, {"frames": frames})
    return problems


#: At most this many characters of source are recorded for a cell's lineage.
LINEAGE_CHARS = 1_000_000


def lineage_docs(
    executed: list[Executed], index: History | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The cells the current cell's inputs came from (`executed`'s last entry), from the one walk
    the hidden-state verdict checks (``flow.sources``), as two views for the run's provenance:

    - ``cell.lineage``: every execution the values came from, directly or through others, with
      its code, in execution order: what `reproduce` re-executes and `runs diff` compares
      (empty when their code exceeds LINEAGE_CHARS: too much to re-execute faithfully, and
      `reproduce` says so);
    - ``input_cells``: of those, the ones that made a name the cell reads itself, with those
      names.

    index: ``flow.History(executed)``, when the caller has it (the verdict walks the same one).
    """
    lineage: list[dict[str, Any]] = []
    size = 0
    for source in sources(executed, index=index):
        item = executed[source.at]
        entry = {
            "execution_count": item.execution_count,
            "cell_id": item.cell_id,
            "names": list(source.names),
            "direct": list(source.direct),
            "source": item.source,
        }
        size += len(item.source)
        lineage.append(entry)
    direct = [{**e, "names": e["direct"]} for e in lineage if e["direct"]]
    for entry in direct:
        del entry["direct"]
    return (lineage if size <= LINEAGE_CHARS else []), direct
