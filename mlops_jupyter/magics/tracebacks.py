"""The traceback of a failing ``%%track`` cell, as the user's own code raised it.

The cell's code runs inside the magic, so Python's traceback begins at IPython's
``run_cell_magic`` call and passes through this package. Users expect what a cell without
``%%track`` shows: ``Cell In[N], line L`` at their own line, then the frames they called. The
exception carries the trimmed traceback to IPython through ``_render_traceback_`` (IPython's
protocol for exceptions that render themselves), and the run stores the same frames as text,
with each cell named ``Cell In[N]`` instead of the temporary file IPython compiled it as.
"""

from __future__ import annotations

import traceback
from pathlib import Path
from types import TracebackType
from typing import Any

_PACKAGE = str(Path(__file__).resolve().parent.parent)


def _ours(tb: TracebackType) -> bool:
    return tb.tb_frame.f_code.co_filename.startswith(_PACKAGE)


def user_traceback(tb: TracebackType | None, filename: str) -> TracebackType | None:
    """The frames from the cell's own first frame (compiled as `filename`) on, without this
    package's frames; None when the cell's frame is not in `tb` (nothing to trim)."""
    while tb is not None and tb.tb_frame.f_code.co_filename != filename:
        tb = tb.tb_next
    if tb is None:
        return None
    kept: list[TracebackType] = []
    while tb is not None:
        if not _ours(tb):
            kept.append(tb)
        tb = tb.tb_next
    chain: TracebackType | None = None
    for item in reversed(kept):
        chain = TracebackType(chain, item.tb_frame, item.tb_lasti, item.tb_lineno)
    return chain


def attach(shell: Any, exc: BaseException, filename: str) -> TracebackType | None:
    """Make IPython show `exc` from the cell's own line; returns the trimmed traceback.

    The rendering is skipped (IPython's default is used) if the exception is raised again
    later with another traceback, e.g. re-raised by a later cell.
    """
    user = user_traceback(exc.__traceback__, filename)
    if user is None:
        return None
    original = exc.__traceback__

    def render() -> list[str]:
        if not _reaches(exc.__traceback__, original):
            return list(shell.InteractiveTB.structured_traceback(type(exc), exc, exc.__traceback__))
        return list(shell.InteractiveTB.structured_traceback(type(exc), exc, user, tb_offset=0))

    try:
        exc._render_traceback_ = render  # type: ignore[attr-defined]
    except (AttributeError, TypeError):  # an exception type with __slots__
        pass
    return user


def _reaches(tb: TracebackType | None, target: TracebackType | None) -> bool:
    """Whether `target` is in the chain from `tb` (frames are added in front as the exception
    propagates, so the traceback of the same raise still holds it)."""
    while tb is not None:
        if tb is target:
            return True
        tb = tb.tb_next
    return False


def cell_label(shell: Any, filename: str) -> str:
    """``Cell In[N]`` for code IPython compiled from a cell, else ``File "path"``."""
    try:
        label = shell.compile.format_code_name(filename)
    except Exception:
        label = None
    return f"{label[0]} {label[1]}" if label else f'File "{filename}"'


def format_traceback(shell: Any, exc: BaseException, tb: TracebackType | None) -> str:
    """The stored text of a failure: Python's layout, cells named ``Cell In[N]``."""
    lines: list[str] = []
    _format(shell, traceback.TracebackException(type(exc), exc, tb), lines, set())
    return "".join(lines)


def _format(
    shell: Any, tbe: traceback.TracebackException, lines: list[str], seen: set[int]
) -> None:
    seen.add(id(tbe))
    if tbe.__cause__ is not None and id(tbe.__cause__) not in seen:
        _format(shell, tbe.__cause__, lines, seen)
        lines.append("\nThe above exception was the direct cause of the following exception:\n\n")
    elif (
        tbe.__context__ is not None
        and not tbe.__suppress_context__
        and id(tbe.__context__) not in seen
    ):
        _format(shell, tbe.__context__, lines, seen)
        lines.append("\nDuring handling of the above exception, another exception occurred:\n\n")
    frames = [f for f in tbe.stack if not f.filename.startswith(_PACKAGE)]
    if frames:
        lines.append("Traceback (most recent call last):\n")
    for frame in frames:
        where = "" if frame.name == "<module>" else f", in {frame.name}"
        lines.append(f"  {cell_label(shell, frame.filename)}, line {frame.lineno}{where}\n")
        if frame.line:
            lines.append(f"    {frame.line.strip()}\n")
    lines.extend(tbe.format_exception_only())
