"""How rich Python objects become artifact bytes: figures to PNG/SVG, DataFrames to JSON tables."""

from __future__ import annotations

import io
import weakref
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

TABLE_MEDIA_TYPE = "application/vnd.dataresource+json"
TABLE_MAX_ROWS = 100_000

#: The PNG `figure_files` last made of each figure (see `rendered_png`).
_RENDERED: weakref.WeakKeyDictionary[Any, bytes] = weakref.WeakKeyDictionary()


def figure_files(figure: Any) -> list[tuple[str, bytes, str]]:
    """(extension, bytes, media type) for PNG and SVG renderings of a matplotlib figure.

    Rendered as the notebook shows it (IPython's inline printer: the figure's own dpi and
    colours, a tight box), so the run's image is the one the user saw, byte for byte.
    """
    out = []
    for fmt, media in (("png", "image/png"), ("svg", "image/svg+xml")):
        buf = io.BytesIO()
        figure.canvas.print_figure(
            buf,
            format=fmt,
            facecolor=figure.get_facecolor(),
            edgecolor=figure.get_edgecolor(),
            dpi=figure.dpi,
            bbox_inches="tight",
        )
        out.append((fmt, buf.getvalue(), media))
    figure.stale = False  # what was just drawn; any later change marks it stale again
    _RENDERED[figure] = out[0][1]
    return out


def rendered_png(figure: Any) -> bytes | None:
    """The PNG `figure_files` made of `figure` while nothing changed it since (matplotlib marks
    a changed figure stale), else None: the inline display of a tracked cell's figure reuses
    it instead of drawing the figure a third time (magics/figure_display.py)."""
    png = _RENDERED.get(figure)
    return png if png is not None and not figure.stale else None


def table_json(frame: pd.DataFrame) -> bytes:
    """A DataFrame as a Table Schema JSON document (schema + rows), capped at TABLE_MAX_ROWS."""
    truncated = len(frame) > TABLE_MAX_ROWS
    head = frame.head(TABLE_MAX_ROWS) if truncated else frame
    text = head.to_json(orient="table", date_format="iso", default_handler=str)
    if truncated:  # keep the document valid JSON while saying that rows were dropped
        text = text[:-1] + f',"truncated_from":{len(frame)}}}'
    return text.encode()


def table_schema(frame: pd.DataFrame) -> dict[str, Any]:
    """Column names and dtypes, for quick inspection without loading the rows."""
    return {
        "columns": [{"name": str(c), "dtype": str(t)} for c, t in frame.dtypes.items()],
        "rows": len(frame),
    }
