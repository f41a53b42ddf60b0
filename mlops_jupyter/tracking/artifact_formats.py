"""How rich Python objects become artifact bytes: figures to PNG/SVG, DataFrames to JSON tables."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

TABLE_MEDIA_TYPE = "application/vnd.dataresource+json"
TABLE_MAX_ROWS = 100_000


def figure_files(figure: Any) -> list[tuple[str, bytes, str]]:
    """(extension, bytes, media type) for PNG and SVG renderings of a matplotlib figure."""
    out = []
    for fmt, media in (("png", "image/png"), ("svg", "image/svg+xml")):
        buf = io.BytesIO()
        figure.savefig(buf, format=fmt, bbox_inches="tight")
        out.append((fmt, buf.getvalue(), media))
    return out


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
