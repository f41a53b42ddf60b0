"""Wire shapes: parse and validate requests (query strings, JSON bodies, paths); shape responses."""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mlops_jupyter.errors import MlopsJupyterError

RUN_ID_RE = re.compile(r"^[0-9a-f]{32}$")
DEFAULT_PAGE = 100
MAX_PAGE = 1000
MAX_COMPARE = 100  # the panel compares up to 100 runs (curves, parallel coordinates)
#: Longest tag value POST /runs/{id}/tags accepts (MLflow's limit for tag values).
MAX_TAG_VALUE = 8000
#: Longest param or tag value shown in the runs list; the run page has the whole value.
SUMMARY_VALUE_CHARS = 300
_ORDER_RE = re.compile(r"^[A-Za-z0-9_.:/ -]{1,200}$")


class BadRequestError(MlopsJupyterError, ValueError):
    """A malformed request: a bad query value, an unknown body key, a path outside the root."""

    def __init__(self, message: str) -> None:
        super().__init__(message)


@dataclass(frozen=True)
class RunsQuery:
    """Parsed query of GET /mlops-jupyter/runs."""

    filter: str | None
    order_by: list[str] | None
    limit: int
    offset: int
    experiment: str | None


def parse_int(name: str, raw: str | None, default: int, lo: int, hi: int) -> int:
    """A query-string integer in lo..hi (`default` when absent); anything else is a 400."""
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequestError(
            f"query parameter {name}={raw!r} is not an integer; expected {lo}..{hi}"
        ) from None
    if not lo <= value <= hi:
        raise BadRequestError(
            f"query parameter {name}={value} is out of range; expected {lo}..{hi}"
        )
    return value


def parse_runs_query(args: Mapping[str, str | None], order_by: Sequence[str]) -> RunsQuery:
    """Parse paging, filter, sort and experiment from a query string."""
    orders = [o.strip() for o in order_by if o and o.strip()]
    for order in orders:
        if not _ORDER_RE.match(order):
            raise BadRequestError(
                f"bad order_by {order!r}; expected a column such as 'metrics.acc DESC'"
            )
    return RunsQuery(
        filter=(args.get("filter") or "").strip() or None,
        order_by=orders or None,
        limit=parse_int("limit", args.get("limit"), DEFAULT_PAGE, 1, MAX_PAGE),
        offset=parse_int("offset", args.get("offset"), 0, 0, 10**9),
        experiment=(args.get("experiment") or "").strip() or None,
    )


def parse_max_points(raw: str | None, default: int) -> int:
    """Parse the `max_points` query parameter of the metric routes."""
    return parse_int("max_points", raw, default, 2, 100_000)


def parse_run_ids(values: Iterable[str]) -> list[str]:
    """Parse `run_ids` (repeated or comma separated) for compare: 2..MAX_COMPARE full run ids."""
    ids: list[str] = []
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if not part:
                continue
            if not RUN_ID_RE.match(part):
                raise BadRequestError(
                    f"bad run id {part[:80]!r}; expected 32 hexadecimal characters"
                )
            if part not in ids:
                ids.append(part)
    if not 2 <= len(ids) <= MAX_COMPARE:
        raise BadRequestError(f"compare needs 2 to {MAX_COMPARE} distinct run ids, got {len(ids)}")
    return ids


def parse_body(
    raw: bytes, allowed: Mapping[str, type | tuple[type, ...]], required: Sequence[str]
) -> dict[str, Any]:
    """Parse a JSON object body, reject unknown keys by name, check required keys and types."""
    try:
        body = json.loads(raw or b"{}")
    except json.JSONDecodeError as err:
        raise BadRequestError(f"request body is not valid JSON: {err}") from err
    except RecursionError as err:  # json's C parser stops at the interpreter's recursion limit
        raise BadRequestError(
            "request body is nested too deeply; the bodies of these routes "
            "are objects a few levels deep"
        ) from err
    if not isinstance(body, dict):
        raise BadRequestError("request body must be a JSON object")
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise BadRequestError(
            f"unknown key(s) {', '.join(map(repr, unknown))}; "
            f"expected {', '.join(map(repr, allowed))}"
        )
    missing = [key for key in required if body.get(key) is None]
    if missing:
        raise BadRequestError(f"missing key(s) {', '.join(map(repr, missing))}")
    for key, value in body.items():
        if value is not None and not isinstance(value, allowed[key]):
            raise BadRequestError(f"key {key!r} has the wrong type ({type(value).__name__})")
    return body


def parse_tags(body: dict[str, Any]) -> dict[str, str]:
    """Validate the `tags` mapping of POST /runs/{run_id}/tags: short string keys, scalar values
    of at most MAX_TAG_VALUE characters."""
    tags = body["tags"]
    out: dict[str, str] = {}
    for key, value in tags.items():
        if not key or len(key) > 250:
            raise BadRequestError(f"bad tag key {key[:80]!r}; expected 1..250 characters")
        if isinstance(value, (dict, list)):
            raise BadRequestError(f"tag {key!r} must be a string, number or boolean")
        text = "" if value is None else str(value)
        if len(text) > MAX_TAG_VALUE:
            raise BadRequestError(
                f"tag {key!r} has a value of {len(text)} characters; the "
                f"limit is {MAX_TAG_VALUE}: store long text as an artifact "
                "(run.log_text) instead"
            )
        out[key] = text
    return out


def resolve_notebook(root_dir: str, path: str, must_exist: bool = True) -> str:
    """Resolve a request path against the server root; refuse anything that escapes it."""
    if not isinstance(path, str) or not path.strip() or "\x00" in path:
        raise BadRequestError("notebook_path must be a non-empty path relative to the server root")
    root = os.path.realpath(root_dir)
    candidate = os.path.realpath(os.path.join(root, path))
    if os.path.commonpath([root, candidate]) != root:
        raise BadRequestError(
            f"path {path!r} is outside the server root; give a path inside {root_dir!r}"
        )
    if must_exist and not os.path.isfile(candidate):
        raise BadRequestError(f"no notebook at {path!r} under the server root")
    return candidate


def relative_to_root(root_dir: str, path: str | None) -> str | None:
    """The API path (relative, '/'-separated) of a file if it lies inside the server root."""
    if not path:
        return None
    root = os.path.realpath(root_dir)
    full = os.path.realpath(path if os.path.isabs(path) else os.path.join(root, path))
    if os.path.commonpath([root, full]) != root:
        return None
    return os.path.relpath(full, root).replace(os.sep, "/")


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else (1e308 if value > 0 else -1e308)
    return value


def _clean(obj: Any) -> Any:
    """Make a record JSON-safe (NaN/inf are not JSON)."""
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    return _finite(obj)


def _short(value: Any) -> Any:
    """A value for the list: as is when short, else its first SUMMARY_VALUE_CHARS characters
    (its JSON text for lists and dicts) with a marker; the run page keeps the whole value."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    if len(text) <= SUMMARY_VALUE_CHARS:
        return value
    return f"{text[:SUMMARY_VALUE_CHARS]}… [truncated: {len(text):,} characters, see the run page]"


_SUMMARY_FIELDS = (
    "run_id",
    "experiment",
    "name",
    "status",
    "start_time",
    "end_time",
    "parent_run_id",
    "source_notebook",
    "cell_id",
    "pid",
    "host",
    "heartbeat",
    "updated_at",
    "error",
)


def run_summary(record: Any) -> dict[str, Any]:
    """A run for the list: everything but provenance (built field by field: no deep copies)."""
    data = {name: getattr(record, name, None) for name in _SUMMARY_FIELDS}
    data["duration"] = record.duration
    data["params"] = {k: _short(v) for k, v in _clean(dict(record.params)).items()}
    data["metrics"] = {k: _finite(v) for k, v in record.metrics.items()}
    data["tags"] = {k: _short(v) for k, v in record.tags.items()}
    data["artifacts"] = [
        {"name": a.name, "sha256": a.sha256, "size": a.size, "media_type": a.media_type}
        for a in record.artifacts
    ]
    return data


def run_detail(record: Any, root_dir: str) -> dict[str, Any]:
    """A full run, plus the notebook's path relative to the server root when it lies inside it."""
    data = _clean(record.to_dict())
    data["notebook_path"] = relative_to_root(root_dir, data.get("source_notebook"))
    return data


def downsample(
    points: Sequence[Sequence[float]], max_points: int
) -> tuple[list[list[float]], bool]:
    """Keep at most ~max_points (step, value) pairs: first, last, and min/max of each bucket."""
    pts = [[p[0], p[1]] for p in points]
    if len(pts) <= max_points:
        return [[s, _finite(v)] for s, v in pts], False
    buckets = max(1, (max_points - 2) // 2)
    inner = pts[1:-1]
    size = len(inner) / buckets
    out = [pts[0]]
    for b in range(buckets):
        chunk = inner[int(b * size) : int((b + 1) * size)]
        if not chunk:
            continue
        lo = min(chunk, key=lambda p: p[1])
        hi = max(chunk, key=lambda p: p[1])
        out.extend(sorted({id(lo): lo, id(hi): hi}.values(), key=lambda p: p[0]))
    out.append(pts[-1])
    return [[s, _finite(v)] for s, v in out], True
