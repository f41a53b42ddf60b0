"""The notebook's PNG of a figure a tracked cell recorded is the recorded PNG, not a new one.

After each cell, matplotlib's inline backend draws every open figure to PNG for the notebook
(~50 ms for a small bar chart). ``%%track`` has just drawn the same figure the same way for its
run (tracking/artifact_formats.py), so the display printer of figures is wrapped to answer with
those bytes while the figure is unchanged. Only IPython's stock PNG printer with its default
arguments is wrapped: another (retina, a dpi, another box) draws as it always does.
"""

from __future__ import annotations

import base64
import functools
from typing import Any

from mlops_jupyter.tracking.artifact_formats import rendered_png

#: Keyword sets of IPython's stock inline PNG printer (``bbox_inches`` defaults to "tight").
_STOCK = ({"fmt": "png", "base64": True}, {"fmt": "png", "base64": True, "bbox_inches": "tight"})


def _is_stock_png(printer: Any) -> bool:
    from IPython.core.pylabtools import print_figure

    return (
        isinstance(printer, functools.partial)
        and printer.func is print_figure
        and not printer.args
        and printer.keywords in _STOCK
    )


def reuse_recorded_png(shell: Any) -> None:
    """Make the shell's PNG display of figures reuse what `figure_files` drew (idempotent)."""
    from matplotlib.figure import Figure

    formatter = shell.display_formatter.formatters["image/png"]
    stock = formatter.type_printers.get(Figure)
    if getattr(stock, "reuses_recorded_png", False) or not _is_stock_png(stock):
        return

    def printer(figure: Any) -> Any:
        png = rendered_png(figure) if (figure.axes or figure.lines) else None
        if png is None:
            return stock(figure)
        return base64.b64encode(png).decode("ascii")

    printer.reuses_recorded_png = True  # type: ignore[attr-defined]
    formatter.for_type(Figure, printer)
