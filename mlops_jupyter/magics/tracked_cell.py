"""One execution of a ``%%track`` cell: what to record before, how to run it, what to log after.

The rule everywhere here: the user's cell runs exactly as it would without tracking. Failures of
the tracking itself are shown as one warning line; the cell's own exception (if any) is the one
the user sees, and it marks the run failed. A cell with top-level ``await`` is run as IPython
runs one (autoawait): compiled with ``PyCF_ALLOW_TOP_LEVEL_AWAIT`` and awaited on the loop the
shell is already running, which is why there is an async twin of each way to run a cell.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import functools
import inspect
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import CodeType, TracebackType
from typing import Any

from mlops_jupyter import tracking
from mlops_jupyter.magics import tracebacks
from mlops_jupyter.magics.capture import OutputCapture
from mlops_jupyter.magics.figure_display import reuse_recorded_png
from mlops_jupyter.magics.history import KernelHistory, parameter_names, source_hash
from mlops_jupyter.magics.lineage_cell import lineage_docs, recorded_inputs
from mlops_jupyter.magics.run_line import show_run_line
from mlops_jupyter.monitoring.input_profiles import log_input_profiles
from mlops_jupyter.notebook.cell_analysis import analyse_cell
from mlops_jupyter.notebook.dataflow import Placed, Verdict, judge
from mlops_jupyter.notebook.flow import History
from mlops_jupyter.store.doc_blocks import split_list
from mlops_jupyter.value_kinds import as_metric, is_simple_param

#: Tag set on a run whose cell read hidden state; its value is the reason.
HIDDEN_STATE_TAG = "mlops.hidden_state"


@dataclass
class TrackOptions:
    """The arguments of one %%track line."""

    name: str | None = None
    experiment: str | None = None
    params: list[str] = field(default_factory=list)
    metrics: list[str] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    capture: bool = True
    models: bool = True  # log fitted models the cell assigns (--no-models: off)


def warn(message: str) -> None:
    """One readable line in the notebook, never a traceback."""
    warnings.warn(f"mlops-jupyter: {message}", RuntimeWarning, stacklevel=3)


def guarded(what: str, fn: Callable[[], Any]) -> Any:
    """Run a tracking step; on failure warn (naming the step) and return None."""
    try:
        return fn()
    except Exception as err:
        warn(f"{what} failed: {err}")
        return None


def needs_await(shell: Any, source: str) -> bool:
    """Whether IPython would run this cell as a coroutine (top-level await, autoawait on).

    The shell's own rule (``should_run_async``), so a tracked cell is async exactly when the
    same cell without ``%%track`` would be; False when the cell does not even transform.
    """
    try:
        return bool(shell.should_run_async(source, transformed_cell=transformed(shell, source)))
    except Exception:
        return False


#: The last cells transformed: (shell id, source, the shell's transformers) -> Python code.
_TRANSFORMED: dict[tuple[Any, ...], str] = {}


def transformed(shell: Any, source: str) -> str:
    """``shell.transform_cell(source)``, done once per cell: the input transformer, the magic
    and the compiler each need it. Keyed by the shell's transformers too, so one a user adds
    in between is applied."""
    manager = shell.input_transformer_manager
    key = (
        id(shell),
        source,
        *map(id, manager.cleanup_transforms),
        *map(id, manager.line_transforms),
        *map(id, shell.input_transformers_post),
    )
    code = _TRANSFORMED.get(key)
    if code is None:
        code = shell.transform_cell(source)
        if len(_TRANSFORMED) >= 8:
            _TRANSFORMED.clear()
        _TRANSFORMED[key] = code
    return code


class TrackedCell:
    """Runs one cell inside a run and records its params, metrics, outputs and provenance."""

    def __init__(
        self,
        shell: Any,
        history: KernelHistory,
        source: str,
        options: TrackOptions,
        magic_line: str,
    ) -> None:
        self.shell, self.history, self.source, self.options = shell, history, source, options
        self.magic_line = magic_line
        self.names = analyse_cell(source)
        self.run: tracking.Run | None = None
        self.verdict = Verdict(None)
        self.placed: list[Placed] | None = None
        self.index: History | None = None
        # IPython has already counted this cell: shell.execution_count is the NEXT count
        self.count = max(int(getattr(shell, "execution_count", 1)) - 1, 0)
        self.filename = ""
        self.user_tb: TracebackType | None = None

    # -- before ---------------------------------------------------------------------------

    def _params(self, executed: list[Any], cells: list[Any]) -> dict[str, Any]:
        ns = self.shell.user_ns
        wanted = parameter_names(executed, cells, self.placed) + [
            n for n in self.names.reads if not n.startswith("_")
        ]
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
        verdict = judge(executed, cells, placed=self.placed, index=self.index)
        self.verdict = verdict
        current = executed[-1] if executed else None
        return {
            "cell_id": current.cell_id if current else None,
            "source": self.source,
            "source_sha256": source_hash(self.source),
            "magic": self.magic_line,
            "execution_count": current.execution_count if current else None,
            "notebook": str(notebook) if notebook else None,
            "history": self.history.records(executed),
            "hidden_state": verdict.flag,
            "hidden_state_reason": verdict.reason,
            "hidden_state_variable": verdict.variable,
            "hidden_state_cell": verdict.cell,
        }

    def start(self) -> None:
        """Open the run; on any failure the cell still runs, untracked, after one warning."""
        executed = self.history.executed()
        # one index of the history for the verdict and the lineage
        self.index = guarded("indexing the kernel's history", lambda: History(executed))
        state = self.history.notebook()
        notebook, cells = state.path, state.cells
        self.placed = (
            guarded("placing the executions", lambda: self.history.placed(executed, state))
            if cells
            else None
        )
        params = guarded("reading the cell's parameters", lambda: self._params(executed, cells))
        cell = (
            guarded(
                "recording the cell's provenance",
                lambda: self._provenance(executed, cells, notebook),
            )
            or {}
        )
        found = guarded(
            "finding the cells the inputs came from", lambda: lineage_docs(executed, self.index)
        )
        lineage, inputs = found if found is not None else (None, None)
        if cell and lineage is not None:
            cell["lineage"] = lineage
        documents = split_list({"cell": cell}, "cell", "history")  # store/doc_blocks.py
        if inputs is not None:
            documents["input_cells"] = inputs
        self.run = guarded(
            "starting the run (the cell runs untracked)",
            lambda: tracking.start_run(
                self.options.name
                or _default_name(notebook, executed[-1].execution_count if executed else 0),
                self.options.experiment,
                params=params or {},
                tags={**self.options.tags, **hidden_state_tags(self.verdict)},
                source_notebook=str(notebook) if notebook else None,
                cell_id=cell.get("cell_id"),
                extra_provenance=documents,
            ),
        )
        run = self.run
        if run is not None:  # the frames the cell reads, as they are before it runs
            reads = list(self.names.reads)
            guarded(
                "profiling input frames", lambda: log_input_profiles(run, self.shell.user_ns, reads)
            )

    # -- during ---------------------------------------------------------------------------

    def _compile(self, allow_await: bool) -> tuple[CodeType, CodeType | None]:
        """The cell's statements and its last expression (if any), compiled by the shell's own
        compiler, so that ``from __future__`` imports carry across cells as without tracking.

        Compiled under the cell's own execution count with the ``%%track`` line as line 1, so
        a traceback says ``Cell In[N], line L`` with the line numbers the user sees.
        """
        code = transformed(self.shell, self.source)
        tree = ast.parse(code)
        ast.increment_lineno(tree, 1)
        last = tree.body[-1] if tree.body else None
        if isinstance(last, ast.Expr):
            tree.body.pop()
        else:
            last = None
        shown = f"{self.magic_line.splitlines()[0] if self.magic_line else '%%track'}\n{code}"
        filename = self.shell.compile.cache(shown, self.count, raw_code=f"%%track\n{self.source}")
        self.filename = filename
        compiler = self.shell.compile
        flags = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT if allow_await else 0
        with compiler.extra_flags(flags):
            body = compiler(ast.Module(tree.body, []), filename, "exec")
            tail = compiler(ast.Expression(last.value), filename, "eval") if last else None
        return body, tail

    def execute(self) -> Any:
        """Run the cell in the user's namespace; the last expression's value is returned.

        Top-level ``await`` is a SyntaxError here, as in any synchronously run cell.
        """
        body, tail = self._compile(allow_await=False)
        ns = self.shell.user_ns
        try:
            exec(body, ns)
            return eval(tail, ns) if tail is not None else None
        except BaseException as exc:
            self.user_tb = tracebacks.attach(self.shell, exc, self.filename)
            raise

    async def execute_async(self) -> Any:
        """`execute` for a cell with top-level ``await``, awaited on the shell's running loop."""
        body, tail = self._compile(allow_await=True)
        ns = self.shell.user_ns
        try:
            await _run(body, ns)
            return await _run(tail, ns) if tail is not None else None
        except BaseException as exc:
            self.user_tb = tracebacks.attach(self.shell, exc, self.filename)
            raise

    @contextlib.contextmanager
    def _tracking(self) -> Iterator[list[Any]]:
        """Start the run and capture outputs around the body; yields a list for the result.

        The cell's exception marks the run failed (killed for an interrupt) and propagates
        unchanged; otherwise metrics and outputs are logged and the run ends finished.
        """
        self.start()
        capture = OutputCapture(self.shell) if self.options.capture and self.run else None
        result: list[Any] = []
        try:
            with (
                capture if capture is not None else contextlib.nullcontext(),
                recorded_inputs(self, capture, result),  # data lineage: magics/lineage_cell.py
            ):
                yield result
        except BaseException as exc:
            self.fail(exc)
            self.announce("killed" if _interrupted(exc) else "failed")
            raise
        self.finish(result[0] if result else None, capture)
        self.announce("finished")

    def announce(self, status: str) -> None:
        """The one output line after the cell: the run, a link to it, any hidden state."""
        run = self.run
        if run is not None:
            guarded("showing the run", lambda: show_run_line(run, status, self.verdict))

    def run_tracked(self) -> Any:
        """Start the run, execute the cell, record what it did; the cell's value is returned."""
        with self._tracking() as result:
            result.append(self.execute())
        return result[0]

    async def run_tracked_async(self) -> Any:
        """`run_tracked` for a cell with top-level ``await``."""
        with self._tracking() as result:
            result.append(await self.execute_async())
        return result[0]

    def fail(self, exc: BaseException) -> None:
        """Record the cell's exception on the run (the caller re-raises it)."""
        run = self.run
        if run is None:
            return
        tb = self.user_tb or exc.__traceback__
        text = tracebacks.format_traceback(self.shell, exc, tb)
        if _interrupted(exc):
            guarded("marking the run killed", lambda: run.end("killed", text))
        else:
            guarded("marking the run failed", lambda: run.end("failed", text))

    # -- after ----------------------------------------------------------------------------

    def finish(self, result: Any, capture: OutputCapture | None) -> None:
        """Log assigned numbers, shown figures/tables and text output, then end the run."""
        run = self.run
        if run is None:
            return
        guarded("recording metrics", lambda: self._log_metrics(run))
        if self.options.models:
            guarded("logging models", lambda: self._log_models(run))
        if capture is not None:
            if _is_dataframe(result):
                capture.add_table(result)
            guarded("recording outputs", lambda: self._log_outputs(run, capture))
        guarded("ending the run", lambda: run.end("finished"))

    def _log_metrics(self, run: tracking.Run) -> None:
        ns, explicit = self.shell.user_ns, run.logged_metric_keys()
        for name in [*self.names.assigns, *self.options.metrics]:
            if name in explicit or name not in ns:
                if name in self.options.metrics and name not in ns:
                    warn(f"--metrics {name}: no variable called {name!r} exists")
                continue
            value = as_metric(ns[name])
            if value is not None:
                run.log_metric(name, value)
            elif name in self.options.metrics:
                warn(
                    f"--metrics {name}: {type(ns[name]).__name__} {ns[name]!r:.60} is not a "
                    "number; it was not recorded (log text with set_tag)"
                )

    def _log_models(self, run: tracking.Run) -> None:
        from mlops_jupyter.models.autolog import log_assigned_models

        log_assigned_models(run, self.shell.user_ns, self.names.assigns)

    def _log_outputs(self, run: tracking.Run, capture: OutputCapture) -> None:
        for i, figure in enumerate(capture.figures):
            guarded(
                f"saving figure {i + 1}",
                functools.partial(run.log_figure, figure, f"figure_{i + 1}"),
            )
        if capture.figures:
            guarded("reusing the figures' PNG", lambda: reuse_recorded_png(self.shell))
        for i, frame in enumerate(capture.tables):
            guarded(
                f"saving table {i + 1}", functools.partial(run.log_table, frame, f"table_{i + 1}")
            )
        for stream in ("stdout", "stderr"):
            text = getattr(capture, stream)
            if text.strip():
                run.log_artifact(text.encode(), name=f"{stream}.txt", media_type="text/plain")


async def _run(code: CodeType, ns: dict[str, Any]) -> Any:
    """Evaluate compiled cell code, awaiting it when it holds top-level await (as IPython does)."""
    if code.co_flags & inspect.CO_COROUTINE:
        return await eval(code, ns)  # the user's own cell
    return eval(code, ns)


def _interrupted(exc: BaseException) -> bool:
    """Ctrl-C; ipykernel turns it into a CancelledError during an awaiting cell."""
    return isinstance(exc, (KeyboardInterrupt, asyncio.CancelledError))


def hidden_state_tags(verdict: Verdict) -> dict[str, str]:
    """The tag the runs list shows a hidden-state badge for: HIDDEN_STATE_TAG -> the reason."""
    return {HIDDEN_STATE_TAG: verdict.reason} if verdict.flag else {}


def _is_dataframe(value: Any) -> bool:
    return type(value).__name__ == "DataFrame" and hasattr(value, "to_json")


def _default_name(notebook: Any, count: int) -> str:
    stem = notebook.stem if notebook is not None else "cell"
    return f"{stem}[{count}]"
