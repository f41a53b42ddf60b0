"""Plain-text rendering of runs for the terminal: aligned tables, times and values."""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Sequence
from typing import Any


def fmt_value(value: Any) -> str:
    """A parameter/metric value as short text (floats to 6 significant digits)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def fmt_time(epoch: float | None) -> str:
    """Local time of an epoch timestamp, to the second."""
    if epoch is None or (isinstance(epoch, float) and math.isnan(epoch)):
        return "-"
    return _dt.datetime.fromtimestamp(epoch).strftime("%Y-%m-%d %H:%M:%S")


def fmt_duration(seconds: float | None) -> str:
    """3.2s, 4m05s, 2h03m."""
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "-"
    if seconds < 60:
        return f"{seconds:.1f}s"
    if seconds < 3600:
        return f"{int(seconds // 60)}m{int(seconds % 60):02d}s"
    return f"{int(seconds // 3600)}h{int(seconds % 3600 // 60):02d}m"


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], max_width: int = 40) -> str:
    """An aligned text table; cells longer than `max_width` are shortened with '…'."""
    cells = [[_clip(fmt_value(c), max_width) for c in row] for row in rows]
    heads = [_clip(h, max_width) for h in headers]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(heads)]
    lines = [
        "  ".join(h.ljust(w) for h, w in zip(heads, widths)).rstrip(),
        "  ".join("-" * w for w in widths),
    ]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells]
    return "\n".join(lines)


def _clip(text: str, width: int) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"
