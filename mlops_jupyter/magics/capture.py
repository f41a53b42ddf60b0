"""Capture what a tracked cell shows: matplotlib figures, displayed DataFrames, stdout/stderr.

Everything is installed for the duration of one cell and removed afterwards; any failure to
install a hook is reported as a warning and that output kind is simply not captured.
"""

from __future__ import annotations

import io
import sys
import warnings
from typing import Any

TEXT_CAP = 64 * 1024


class _Tee(io.TextIOBase):
    """Writes through to the real stream and keeps the first TEXT_CAP characters."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.kept: list[str] = []
        self.size = 0
        self.truncated = False

    def write(self, text: str) -> int:
        if self.size < TEXT_CAP:
            self.kept.append(text[: TEXT_CAP - self.size])
            self.size += len(self.kept[-1])
        elif text:
            self.truncated = True
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()

    def __getattr__(self, name: str) -> Any:  # fileno, encoding, isatty, ...
        return getattr(self.stream, name)

    def text(self) -> str:
        return "".join(self.kept) + ("\n[... truncated]" if self.truncated else "")


class OutputCapture:
    """Context manager collecting a cell's shown figures and DataFrames and its text output."""

    def __init__(self, shell: Any) -> None:
        self.shell = shell
        self.figures: list[Any] = []
        self.tables: list[Any] = []
        self._undo: list[Any] = []
        self._tees: dict[str, _Tee] = {}
        self._fignums_before: set[int] = set()

    def __enter__(self) -> OutputCapture:
        for install in (self._tee_streams, self._watch_figures, self._watch_dataframes):
            try:
                install()
            except Exception as err:
                warnings.warn(f"mlops-jupyter: output capture disabled ({err})", stacklevel=2)
        return self

    def __exit__(self, *exc: Any) -> None:
        try:
            self._collect_open_figures()
        except Exception:
            pass
        for undo in reversed(self._undo):
            try:
                undo()
            except Exception:
                pass

    @property
    def stdout(self) -> str:
        return self._tees["stdout"].text() if "stdout" in self._tees else ""

    @property
    def stderr(self) -> str:
        return self._tees["stderr"].text() if "stderr" in self._tees else ""

    def add_figure(self, figure: Any) -> None:
        if all(figure is not f for f in self.figures):
            self.figures.append(figure)

    def add_table(self, frame: Any) -> None:
        if all(frame is not t for t in self.tables):
            self.tables.append(frame)

    # -- installers ---------------------------------------------------------------------

    def _tee_streams(self) -> None:
        for name in ("stdout", "stderr"):
            original = getattr(sys, name)
            tee = _Tee(original)
            self._tees[name] = tee
            setattr(sys, name, tee)
            self._undo.append(lambda n=name, o=original: setattr(sys, n, o))

    def _watch_figures(self) -> None:
        if "matplotlib.pyplot" not in sys.modules:
            return  # imported by the cell itself: every figure open at the end is the cell's
        plt: Any = sys.modules["matplotlib.pyplot"]  # pyplot, patched below: not a bare module
        self._fignums_before = set(plt.get_fignums())
        original_show = plt.show

        def show(*args: Any, **kwargs: Any) -> Any:
            for num in plt.get_fignums():
                self.add_figure(plt.figure(num))
            return original_show(*args, **kwargs)

        plt.show = show
        self._undo.append(lambda: setattr(plt, "show", original_show))

    def _collect_open_figures(self) -> None:
        plt = sys.modules.get("matplotlib.pyplot")
        if plt is None:
            return
        for num in plt.get_fignums():
            if num not in self._fignums_before:
                self.add_figure(plt.figure(num))

    def _watch_dataframes(self) -> None:
        if "pandas" not in sys.modules:
            return
        frame_type = sys.modules["pandas"].DataFrame
        formatter = self.shell.display_formatter.formatters["text/html"]
        previous = formatter.type_printers.get(frame_type)

        def record(frame: Any) -> Any:
            self.add_table(frame)
            return previous(frame) if previous else frame._repr_html_()

        formatter.for_type(frame_type, record)

        def undo() -> None:
            if previous is None:
                formatter.type_printers.pop(frame_type, None)
            else:
                formatter.for_type(frame_type, previous)

        self._undo.append(undo)
