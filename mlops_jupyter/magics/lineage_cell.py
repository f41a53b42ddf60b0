"""The data lineage of one ``%%track`` execution: the files it read, the frames it showed, and
the cells its inputs came from, recorded on its run with no call in the notebook.

Recording is one context manager around the cell's execution (`recorded_inputs`); everything
it does after the cell is guarded, so a failing hook or an unreadable file is one warning line
and the cell's own result and exception stand.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from mlops_jupyter.notebook.cell_analysis import analyse_cell
from mlops_jupyter.tracking import read_hooks
from mlops_jupyter.tracking.fingerprint import fingerprint_if_frame
from mlops_jupyter.tracking.inputs import record_reads

#: At most this many earlier executions are searched for the cells the inputs came from.
HISTORY_DEPTH = 200


def _warn(message: str) -> None:
    warnings.warn(f"mlops-jupyter: {message}", RuntimeWarning, stacklevel=4)


@contextmanager
def recorded_inputs(cell: Any, capture: Any, result: list[Any]) -> Iterator[None]:
    """Note the files `cell` reads while the block runs; then record them, the fingerprints of
    the frames it displayed or returned, and its input cells on ``cell.run``."""
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
    documents: dict[str, Any] = {"input_cells": input_cells(cell)}
    if frames:
        documents["frames"] = frames
    run.store.set_provenance(run.run_id, documents)
    return problems


def input_cells(cell: Any) -> list[dict[str, Any]]:
    """The latest earlier execution that assigned each name the cell reads, oldest first."""
    executed = cell.history.executed()[-HISTORY_DEPTH:]
    wanted = set(cell.names.reads)
    found: dict[int, dict[str, Any]] = {}
    for entry in reversed(executed[:-1]):  # the last one is this cell
        if not wanted:
            break
        assigned = wanted.intersection(_assigns(entry.source))
        if assigned:
            wanted -= assigned
            found[entry.execution_count] = {
                "execution_count": entry.execution_count,
                "cell_id": entry.cell_id,
                "names": sorted(assigned),
                "source": entry.source,
            }
    return [found[n] for n in sorted(found)]


@functools.lru_cache(maxsize=1024)
def _assigns(source: str) -> frozenset[str]:
    """The names a cell's source binds: assignments, imports, definitions (parsed once per
    distinct source: the history is searched again at every tracked execution)."""
    names = analyse_cell(source)
    return frozenset(names.assigns) | frozenset(names.binds)
