"""The JSON documents on each run row (params, latest metrics, tags), rebuilt from their tables.

They are a read cache: the tables stay the truth for filters, sorting and history, and every
write that changes a table rebuilds the affected documents in the same transaction.
"""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from typing import Any, Iterable

from sqlalchemy import Connection, bindparam, select, update

from . import schema
from .values import decode_param


def dumps(doc: dict[str, Any]) -> str:
    """Compact JSON; NaN/inf are kept (Python's json reads them back)."""
    return json.dumps(doc, separators=(",", ":"), default=str)


def loads(text: str | None) -> dict[str, Any]:
    """A document, or {} for a run that has none."""
    return json.loads(text) if text else {}


def _collect(conn: Connection, table: Any, columns: tuple[str, ...], run_ids: list[str]
             ) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = defaultdict(list)
    stmt = _select_statement(table.name, columns)
    for start in range(0, len(run_ids), 500):
        for row in conn.execute(stmt, {"ids": run_ids[start:start + 500]}):
            found[row[0]].append(row[1:])
    return found


@functools.lru_cache(maxsize=16)
def _select_statement(table_name: str, columns: tuple[str, ...]) -> Any:
    """Built once: constructing SQLAlchemy statements costs more than running them."""
    table = schema.metadata.tables[table_name]
    return select(table.c.run_id, *(table.c[c] for c in columns)).where(
        table.c.run_id.in_(bindparam("ids", expanding=True)))


def rebuild(conn: Connection, run_ids: Iterable[str], *, params: bool = False,
            metrics: bool = False, tags: bool = False, touch: float | None = None) -> None:
    """Rewrite the chosen documents of `run_ids` from the params/latest_metrics/tags tables
    (and set their updated_at to `touch` when given)."""
    ids = sorted(set(run_ids))
    if not ids:
        return
    values: dict[str, dict[str, str]] = {rid: {} for rid in ids}
    if params:
        p = schema.params
        for rid, rows in _collect(conn, p, ("key", "value", "type"), ids).items():
            values[rid]["params_doc"] = dumps({k: decode_param(v, t) for k, v, t in rows})
    if metrics:
        lm = schema.latest_metrics
        for rid, rows in _collect(conn, lm, ("key", "value"), ids).items():
            values[rid]["metrics_doc"] = dumps(
                {k: float("nan") if v is None else v for k, v in rows})
    if tags:
        t = schema.tags
        for rid, rows in _collect(conn, t, ("key", "value"), ids).items():
            values[rid]["tags_doc"] = dumps(dict(rows))
    chosen = [name for name, on in (("params_doc", params), ("metrics_doc", metrics),
                                    ("tags_doc", tags)) if on]
    stmt = _update_statement(tuple(chosen), touch is not None)
    extra = {} if touch is None else {"new_updated_at": touch}
    conn.execute(stmt, [{"rid": rid, **extra, **{f"new_{n}": values[rid].get(n) for n in chosen}}
                        for rid in ids])


@functools.lru_cache(maxsize=16)
def _update_statement(columns: tuple[str, ...], touch: bool) -> Any:
    r = schema.runs
    names = columns + (("updated_at",) if touch else ())
    return update(r).where(r.c.run_id == bindparam("rid")).values(
        {name: bindparam(f"new_{name}") for name in names})
