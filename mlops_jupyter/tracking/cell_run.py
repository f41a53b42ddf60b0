"""``track_cell``: what an exported ``%%track`` cell becomes, recording what the magic records.

A script exported from a notebook has no IPython shell, so ``%%track`` is translated into
``with mlops_jupyter.track_cell(...)``. The run then gets the same param and metric keys as the
notebook's run: the simple values among the notebook's parameters and the names the cell reads
(``value_kinds.is_simple_param``), the numbers it assigns at top level (unless logged explicitly),
the matplotlib figures it leaves open and the DataFrame it shows last. Names are looked up in the
namespaces given (the function's locals, then the module's globals); a missing one is skipped.
Like the magic's, the run also records its inputs (files read, profiles of the frames read,
fingerprints of the frames shown: tracking/cell_inputs.py) and, through the public
``mlops_jupyter.track_cell`` (models/cell_models.py), the fitted models the cell assigns.
"""

from __future__ import annotations

import contextlib
import sys
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from mlops_jupyter.tracking.cell_inputs import (
    noting_reads,
    profile_input_frames,
    record_cell_inputs,
)
from mlops_jupyter.tracking.run import Run, start_run
from mlops_jupyter.value_kinds import as_metric, is_simple_param


def _lookup(names: Sequence[str], namespaces: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name in names:
        for namespace in namespaces:
            if name in namespace:
                found[name] = namespace[name]
                break
    return found


#: Logs the fitted models among a cell's assigned names: ``(run, namespace, names)``.
ModelLogger = Callable[[Run, Mapping[str, Any], Sequence[str]], Any]


def guarded(what: str, action: Callable[[], Any]) -> Any:
    """Run one tracking action; a failure is one warning line, never the user's error
    (tracking never breaks the cell)."""
    try:
        return action()
    except Exception as err:
        warnings.warn(f"mlops-jupyter: {what} failed: {err}", RuntimeWarning, stacklevel=3)
        return None


class CellRun:
    """The run of one exported ``%%track`` cell, and what it shows."""

    def __init__(self, run: Run, model_logger: ModelLogger | None = None) -> None:
        self.run = run
        self.tables: list[Any] = []
        self.model_logger = model_logger
        plt = sys.modules.get("matplotlib.pyplot")
        self._figures_before = set(plt.get_fignums()) if plt is not None else set()

    def shown(self, value: Any) -> Any:
        """The cell's last expression (what a notebook shows): a DataFrame is logged as a table."""
        if type(value).__name__ == "DataFrame" and hasattr(value, "to_json"):
            self.tables.append(value)
        return value

    def metrics(self, names: Sequence[str], *namespaces: Mapping[str, Any]) -> None:
        """Log the numbers among `names` (the cell's assignments) not logged explicitly."""
        explicit = self.run.logged_metric_keys()
        for name, value in _lookup(names, namespaces).items():
            number = as_metric(value)
            if name not in explicit and number is not None:
                self.run.log_metric(name, number)

    def models(self, names: Sequence[str], *namespaces: Mapping[str, Any]) -> None:
        """Log the fitted models among `names` (the cell's assignments), as ``%%track`` does;
        a no-op without a model logger (the tracking layer does not know model flavours)."""
        logger = self.model_logger
        if logger is None:
            return
        merged: dict[str, Any] = {}
        for namespace in reversed(namespaces):  # the first namespace wins, as in lookups
            merged.update(namespace)
        guarded("logging models", lambda: logger(self.run, merged, list(names)))

    def log_outputs(self) -> None:
        """Log the figures the cell opened and the tables it showed, as the magic names them."""
        plt = sys.modules.get("matplotlib.pyplot")
        if plt is not None:
            new = [n for n in plt.get_fignums() if n not in self._figures_before]
            for i, number in enumerate(new):
                self.run.log_figure(plt.figure(number), f"figure_{i + 1}")
        for i, frame in enumerate(self.tables):
            self.run.log_table(frame, f"table_{i + 1}")


@contextlib.contextmanager
def track_cell(
    reads: Sequence[str],
    *namespaces: Mapping[str, Any],
    name: str | None = None,
    experiment: str | None = None,
    tags: Mapping[str, Any] | None = None,
    model_logger: ModelLogger | None = None,
) -> Iterator[CellRun]:
    """Run the block as one run whose params are the simple values of `reads`.

    Args:
        reads: The notebook's parameter names and the names the cell reads.
        namespaces: Where to look the names up, first match wins (``locals(), globals()``).
        name, experiment, tags: As ``%%track --name/--experiment/--tag``.
        model_logger: What ``_track.models(...)`` logs the cell's fitted models with.
    """
    values = _lookup(reads, namespaces)
    params = {k: v for k, v in values.items() if not k.startswith("_") and is_simple_param(v)}
    run = start_run(name, experiment, params=params, tags=tags)
    cell = CellRun(run, model_logger)
    with run:
        guarded("profiling input frames", lambda: profile_input_frames(run, values))
        with noting_reads() as files:
            try:
                yield cell
            finally:
                _record_inputs(cell, files)
        cell.log_outputs()


def _record_inputs(cell: CellRun, reads: Any) -> None:
    problems = guarded("recording inputs", lambda: record_cell_inputs(cell.run, reads, cell.tables))
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        warnings.warn(
            f"mlops-jupyter: recording the cell's inputs: {problems[0]}{more}", stacklevel=4
        )
