"""What every subcommand prints the same way: JSON for ``--format json``."""

from __future__ import annotations

import json
import math
from typing import Any


def print_json(data: Any) -> None:
    """JSON to stdout (NaN as null), for --format json."""
    print(json.dumps(_jsonable(data), indent=2, default=str))


def _jsonable(data: Any) -> Any:
    if isinstance(data, float) and math.isnan(data):
        return None
    if isinstance(data, dict):
        return {k: _jsonable(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_jsonable(v) for v in data]
    return data
