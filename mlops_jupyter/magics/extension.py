"""IPython magics: ``%%track`` (a cell as a run), ``%track`` (runs spanning cells), ``%runs``.

A thin layer: argument parsing here, the work in tracked_cell, tracking and widgets. One input
transformer makes a ``%%track`` cell with top-level ``await`` an awaited call, so IPython runs it
on its loop as it runs the same cell without ``%%track``.
"""

from __future__ import annotations

import ast
import functools
import shlex
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from mlops_jupyter import tracking
from mlops_jupyter.magics.history import KernelHistory
from mlops_jupyter.magics.tracked_cell import TrackedCell, TrackOptions, guarded, needs_await, warn
from mlops_jupyter.tracking import provenance
from mlops_jupyter.value_kinds import logged_kind

_TRACK_USAGE = (
    "%%track [--name N] [--experiment E] [--params a,b] [--metrics x,y] "
    "[--tag k=v] [--no-capture] [--no-models]   |   %track start NAME | stop | status | "
    "log key=value ..."
)


def _split(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _tags(pairs: list[str]) -> dict[str, str]:
    tags = {}
    for pair in pairs:
        key, eq, value = pair.partition("=")
        if not eq or not key:
            raise UsageError(f"--tag {pair!r} must look like key=value")
        tags[key] = value
    return tags


def _constant(node: ast.expr) -> Any:
    """The value of a literal node (the caller has checked it is an ast.Constant)."""
    return node.value if isinstance(node, ast.Constant) else None


@magics_class
class TrackingMagics(Magics):
    """%track / %%track / %runs, with the kernel's execution history for provenance."""

    def __init__(self, shell: Any) -> None:
        super().__init__(shell)
        self.history = KernelHistory(shell)
        self.spanning: tracking.Run | None = None

    @magic_arguments()
    @argument("--name", help="run name (default: <notebook>[<execution count>])")
    @argument("--experiment", help="experiment name")
    @argument("--params", help="extra variables to record as params, comma-separated")
    @argument("--metrics", help="extra variables to record as metrics, comma-separated")
    @argument("--tag", action="append", default=[], help="key=value, repeatable")
    @argument("--no-capture", action="store_true", help="do not record figures/tables/output")
    @argument("--no-models", action="store_true", help="do not log the fitted models assigned")
    @line_cell_magic
    def track(self, line: str, cell: str | None = None) -> Any:
        """%%track: run this cell as a recorded run. %track start|stop|status|log: see usage.

        For a cell with top-level ``await`` this returns a coroutine, which `await_tracked_cells`
        has made the cell's code await.
        """
        if cell is None:
            return self._track_line(line)
        awaiting = needs_await(self.shell, cell)
        try:
            args = parse_argstring(self.track, line)
            options = TrackOptions(
                args.name,
                args.experiment,
                _split(args.params),
                _split(args.metrics),
                _tags(args.tag),
                not args.no_capture,
                models=not args.no_models,
            )
        except UsageError as err:
            warn(
                f"%%track {line.strip()}: {err}. The cell ran without tracking. "
                f"Usage: {_TRACK_USAGE}"
            )
            untracked = TrackedCell(self.shell, self.history, cell, TrackOptions(), line)
            return untracked.execute_async() if awaiting else untracked.execute()
        tracked = TrackedCell(self.shell, self.history, cell, options, f"%%track {line}".strip())
        return tracked.run_tracked_async() if awaiting else tracked.run_tracked()

    def await_tracked_cells(self, lines: list[str]) -> list[str]:
        """IPython input transformer: ``await`` the %%track call of a cell that needs await.

        IPython turns a ``%%track`` cell into ``get_ipython().run_cell_magic('track', ...)``, a
        plain call, so the shell would run it synchronously, where nothing can be awaited.
        Awaiting that call makes IPython run the cell as a coroutine on its own loop, exactly as
        it runs the cell without ``%%track``. Any other input is returned unchanged.
        """
        code = "".join(lines)
        if not code.startswith("get_ipython().run_cell_magic('track'"):
            return lines  # every other cell: no parsing on the way to the kernel
        try:
            tree = ast.parse(code)
            first = tree.body[0] if len(tree.body) == 1 else None
            call = first.value if isinstance(first, ast.Expr) else None
            shell = self.shell
            if not (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Attribute)
                and call.func.attr == "run_cell_magic"
                and len(call.args) == 3
                and all(isinstance(a, ast.Constant) for a in call.args)
                and _constant(call.args[0]) == "track"
                and shell is not None
                and getattr(shell.find_cell_magic("track"), "__self__", None) is self
                and needs_await(shell, _constant(call.args[2]))
            ):
                return lines
            return [f"await {ast.unparse(call)}\n"]
        except Exception:
            return lines

    def install_transformer(self) -> None:
        """Register `await_tracked_cells` once (a reloaded extension replaces its old one)."""
        assert self.shell is not None  # a Magics is made for a shell (load_ipython_extension)
        post = self.shell.input_transformers_post
        post[:] = [t for t in post if getattr(t, "__name__", "") != "await_tracked_cells"]
        post.append(self.await_tracked_cells)

    def uninstall_transformer(self) -> None:
        assert self.shell is not None
        post = self.shell.input_transformers_post
        post[:] = [t for t in post if getattr(t, "__self__", None) is not self]

    def _track_line(self, line: str) -> Any:
        words = shlex.split(line)
        if not words:
            raise UsageError(f"usage: {_TRACK_USAGE}")
        command, rest = words[0], words[1:]
        if command == "start":
            return self._start(rest)
        if command == "stop":
            return self._stop()
        if command == "status":
            return self._status()
        if command == "log":
            return self._log(rest)
        raise UsageError(f"unknown %track command {command!r}; usage: {_TRACK_USAGE}")

    def _start(self, words: list[str]) -> None:
        experiment = None
        if "--experiment" in words:
            at = words.index("--experiment")
            experiment = words[at + 1] if at + 1 < len(words) else None
            words = words[:at] + words[at + 2 :]
        if self.spanning is not None and self.spanning.status == "running":
            raise UsageError(f"run {self.spanning.name!r} is already active; %track stop first")
        self.spanning = guarded(
            "starting the run", lambda: tracking.start_run(" ".join(words) or None, experiment)
        )
        if self.spanning is not None:
            print(
                f"run {self.spanning.run_id[:8]} ({self.spanning.name}) started; "
                "%track stop ends it"
            )

    def _stop(self) -> None:
        run = self.spanning
        if run is None or run.status != "running":
            raise UsageError("no run started with %track start is active")
        guarded("ending the run", lambda: run.end("finished"))
        self.spanning = None
        print(f"run {run.run_id[:8]} ({run.name}) finished")

    def _status(self) -> None:
        run = tracking.active_run()
        if run is None:
            print("no active run")
        else:
            print(f"active run {run.run_id[:8]} ({run.name}), experiment {run.experiment}")

    def _log(self, pairs: list[str]) -> None:
        run = tracking.active_run()
        if run is None:
            raise UsageError("%track log needs an active run: %track start NAME first")
        for pair in pairs:
            key, eq, text = pair.partition("=")
            if not eq or not key:
                raise UsageError(f"{pair!r} must look like key=value")
            try:
                value = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                value = text
            if logged_kind(value) == "metric":
                guarded(f"logging metric {key}", functools.partial(run.log_metric, key, value))
            else:
                guarded(f"logging param {key}", functools.partial(run.log_param, key, value))

    @line_magic
    def runs(self, line: str) -> Any:
        """%runs [--experiment E] [--filter F] [--limit N] | %runs show ID | %runs compare A B |
        %runs diff A B."""
        from mlops_jupyter.errors import MlopsJupyterError
        from mlops_jupyter.magics import widgets

        try:
            return widgets.runs_magic(line)
        except MlopsJupyterError as err:
            raise UsageError(str(err)) from None


def load_ipython_extension(ipython: Any) -> None:
    """Register the magics and start listening to cell executions."""
    magics = TrackingMagics(ipython)
    ipython.register_magics(magics)
    magics.history.register()
    magics.install_transformer()
    provenance.install_seed_recorders()


def unload_ipython_extension(ipython: Any) -> None:
    """Stop listening; the magics stay registered until the kernel restarts (IPython's rule)."""
    magics = ipython.magics_manager.registry.get(TrackingMagics.__name__)
    if magics is not None:
        magics.history.unregister()
        magics.uninstall_transformer()
