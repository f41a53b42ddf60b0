"""One execution of a ``%%track`` cell: what to record before, how to run it, what to log after.

The rule everywhere here: the user's cell runs exactly as it would without tracking. Failures of
the tracking itself are shown as one warning line; the cell's own exception (if any) is the one
the user sees, and it marks the run failed.
"""

from __future__ import annotations

import ast
import traceback
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

from mlops_jupyter import tracking
from mlops_jupyter.notebook.cell_analysis import analyse_cell
from mlops_jupyter.value_kinds import as_metric, is_simple_param
from mlops_jupyter.magics.capture import OutputCapture
from mlops_jupyter.magics.history import (KernelHistory, find_notebook_path, hidden_state, parameter_names,
                             read_code_cells, source_hash)


@dataclass
class TrackOptions:
    """The arguments of one %%track line."""

    name: str | None = None
    experiment: str | None = None
    params: list[str] = field(default_factory=list)
    metrics: list[str] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    capture: bool = True


def warn(message: str) -> None:
    """One readable line in the notebook, never a traceback."""
    warnings.warn(f"mlops-jupyter: {message}", RuntimeWarning, stacklevel=3)


def guarded(what: str, fn: Callable[[], Any]) -> Any:
    """Run a tracking step; on failure warn (naming the step) and return None."""
    try:
        return fn()
    except Exception as err:  # noqa: BLE001 - tracking must never break the cell
        warn(f"{what} failed: {err}")
        return None


class TrackedCell:
    """Runs one cell inside a run and records its params, metrics, outputs and provenance."""

    def __init__(self, shell: Any, history: KernelHistory, source: str, options: TrackOptions,
                 magic_line: str) -> None:
        self.shell, self.history, self.source, self.options = shell, history, source, options
        self.magic_line = magic_line
        self.names = analyse_cell(source)
        self.run: tracking.Run | None = None

    # -- before ---------------------------------------------------------------------------

    def _params(self, executed: list[Any], cells: list[Any]) -> dict[str, Any]:
        ns = self.shell.user_ns
        wanted = parameter_names(executed, cells) + [
            n for n in self.names.reads if not n.startswith("_")]
        params = {n: ns[n] for n in wanted if n in ns and is_simple_param(ns[n])}
        for name in self.options.params:
            if name not in ns:
                warn(f"--params {name}: no variable called {name!r} exists; it was not recorded")
            elif is_simple_param(ns[name]):
                params[name] = ns[name]
            else:
                params[name] = repr(ns[name])[:200]
        return params

    def _provenance(self, executed: list[Any], cells: list[Any], notebook: Any) -> dict[str, Any]:
        flag, reason = hidden_state(executed, cells, self.names.reads)
        current = executed[-1] if executed else None
        return {
            "cell_id": current.cell_id if current else None,
            "source": self.source,
            "source_sha256": source_hash(self.source),
            "magic": self.magic_line,
            "execution_count": current.execution_count if current else None,
            "notebook": str(notebook) if notebook else None,
            "history": [{"execution_count": e.execution_count, "cell_id": e.cell_id,
                         "source_sha256": source_hash(e.source)} for e in executed],
            "hidden_state": flag,
            "hidden_state_reason": reason,
        }

    def start(self) -> None:
        """Open the run; on any failure the cell still runs, untracked, after one warning."""
        executed = self.history.executed()
        notebook = find_notebook_path(self.shell)
        cells = read_code_cells(notebook) if notebook else []
        params = guarded("reading the cell's parameters", lambda: self._params(executed, cells))
        cell = guarded("recording the cell's provenance",
                       lambda: self._provenance(executed, cells, notebook)) or {}
        self.run = guarded("starting the run (the cell runs untracked)", lambda: tracking.start_run(
            self.options.name or _default_name(notebook, executed[-1].execution_count
                                               if executed else 0),
            self.options.experiment, params=params or {}, tags=self.options.tags,
            source_notebook=str(notebook) if notebook else None, cell_id=cell.get("cell_id"),
            extra_provenance={"cell": cell}))

    # -- during ---------------------------------------------------------------------------

    def execute(self) -> Any:
        """Run the cell in the user's namespace; the last expression's value is returned."""
        code = self.shell.transform_cell(self.source)
        tree = ast.parse(code)
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        filename = self.shell.compile.cache(code, self.shell.execution_count, raw_code=self.source)
        ns = self.shell.user_ns
        exec(compile(tree, filename, "exec"), ns)  # noqa: S102 - the user's own cell
        if last is not None:
            return eval(compile(ast.Expression(last.value), filename, "eval"), ns)  # noqa: S307
        return None

    def fail(self, exc: BaseException) -> None:
        """Record the cell's exception on the run (the caller re-raises it)."""
        if self.run is None:
            return
        if isinstance(exc, KeyboardInterrupt):
            guarded("marking the run killed", lambda: self.run.end("killed", "KeyboardInterrupt"))
        else:
            text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            guarded("marking the run failed", lambda: self.run.end("failed", text))

    # -- after ----------------------------------------------------------------------------

    def finish(self, result: Any, capture: OutputCapture | None) -> None:
        """Log assigned numbers, shown figures/tables and text output, then end the run."""
        run = self.run
        if run is None:
            return
        guarded("recording metrics", lambda: self._log_metrics(run))
        if capture is not None:
            if _is_dataframe(result):
                capture.add_table(result)
            guarded("recording outputs", lambda: self._log_outputs(run, capture))
        guarded("ending the run", lambda: run.end("finished"))

    def _log_metrics(self, run: tracking.Run) -> None:
        ns, explicit = self.shell.user_ns, set(run._next_step)
        for name in [*self.names.assigns, *self.options.metrics]:
            if name in explicit or name not in ns:
                if name in self.options.metrics and name not in ns:
                    warn(f"--metrics {name}: no variable called {name!r} exists")
                continue
            value = as_metric(ns[name])
            if value is not None:
                run.log_metric(name, value)
            elif name in self.options.metrics:
                warn(f"--metrics {name}: {type(ns[name]).__name__} {ns[name]!r:.60} is not a "
                     "number; it was not recorded (log text with set_tag)")

    def _log_outputs(self, run: tracking.Run, capture: OutputCapture) -> None:
        for i, figure in enumerate(capture.figures):
            guarded(f"saving figure {i + 1}", lambda: run.log_figure(figure, f"figure_{i + 1}"))
        for i, frame in enumerate(capture.tables):
            guarded(f"saving table {i + 1}", lambda: run.log_table(frame, f"table_{i + 1}"))
        for stream in ("stdout", "stderr"):
            text = getattr(capture, stream)
            if text.strip():
                run.log_artifact(text.encode(), name=f"{stream}.txt", media_type="text/plain")


def _is_dataframe(value: Any) -> bool:
    return type(value).__name__ == "DataFrame" and hasattr(value, "to_json")


def _default_name(notebook: Any, count: int) -> str:
    stem = notebook.stem if notebook is not None else "cell"
    return f"{stem}[{count}]"
