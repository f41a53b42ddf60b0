"""The JSON documents on each run row (params, latest metrics, tags), rebuilt from their tables.

They are a read cache: the tables stay the truth for filters, sorting and history, and every
write that changes a table rebuilds the affected documents in the same transaction.
"""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Text, bindparam, case, cast, func, literal, select, update

from mlops_jupyter.store import schema
from mlops_jupyter.store.values import decode_param


def dumps(doc: dict[str, Any]) -> str:
    """Compact JSON; NaN/inf are kept (Python's json reads them back)."""
    return json.dumps(doc, separators=(",", ":"), default=str)


def loads(text: str | None) -> dict[str, Any]:
    """A document, or {} for a run that has none."""
    return json.loads(text) if text else {}


def load_metrics(text: str | None) -> dict[str, float]:
    """A metrics document as floats: NaN comes back as null (SQLite) or "NaN" (PostgreSQL)."""
    return {k: float("nan") if v is None else float(v) for k, v in loads(text).items()}


def refresh_metrics(conn: Connection, run_ids: Iterable[str], now: float) -> None:
    """Rebuild the metrics documents of `run_ids` inside the database, in one statement (and
    set their updated_at to `now`)."""
    ids = sorted(set(run_ids))
    for start in range(0, len(ids), 500):
        conn.execute(
            _metrics_update(conn.dialect.name), {"ids": ids[start : start + 500], "now": now}
        )


@functools.lru_cache(maxsize=2)
def _metrics_update(dialect: str) -> Any:
    r, lm = schema.runs, schema.latest_metrics
    if dialect == "sqlite":  # SQLite < 3.41 writes infinities as bare Inf: not JSON
        value = case(
            (lm.c.value > 1.7e308, literal("Infinity")),
            (lm.c.value < -1.7e308, literal("-Infinity")),
            else_=lm.c.value,
        )
        agg: Any = func.json_group_object(lm.c.key, value)
    else:
        agg = cast(func.json_object_agg(lm.c.key, lm.c.value), Text)
    doc = select(agg).where(lm.c.run_id == r.c.run_id).scalar_subquery()
    return (
        update(r)
        .where(r.c.run_id.in_(bindparam("ids", expanding=True)))
        .values(metrics_doc=doc, updated_at=bindparam("now"))
    )


def _collect(
    conn: Connection, table: Any, columns: tuple[str, ...], run_ids: list[str]
) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = defaultdict(list)
    stmt = _select_statement(table.name, columns)
    for start in range(0, len(run_ids), 500):
        for row in conn.execute(stmt, {"ids": run_ids[start : start + 500]}):
            found[row[0]].append(row[1:])
    return found


@functools.lru_cache(maxsize=16)
def _select_statement(table_name: str, columns: tuple[str, ...]) -> Any:
    """Built once: constructing SQLAlchemy statements costs more than running them."""
    table = schema.metadata.tables[table_name]
    return select(table.c.run_id, *(table.c[c] for c in columns)).where(
        table.c.run_id.in_(bindparam("ids", expanding=True))
    )


def rebuild(
    conn: Connection, run_ids: Iterable[str], *, params: bool = False, tags: bool = False
) -> None:
    """Rewrite the params and/or tags documents of `run_ids` from their tables (metrics
    documents: `refresh_metrics`)."""
    ids = sorted(set(run_ids))
    if not ids:
        return
    values: dict[str, dict[str, str]] = {rid: {} for rid in ids}
    if params:
        p = schema.params
        for rid, rows in _collect(conn, p, ("key", "value", "type"), ids).items():
            values[rid]["params_doc"] = dumps({k: decode_param(v, t) for k, v, t in rows})
    if tags:
        t = schema.tags
        for rid, rows in _collect(conn, t, ("key", "value"), ids).items():
            values[rid]["tags_doc"] = dumps(dict(rows))
    chosen = tuple(name for name, on in (("params_doc", params), ("tags_doc", tags)) if on)
    conn.execute(
        _update_statement(chosen),
        [{"rid": rid, **{f"new_{n}": values[rid].get(n) for n in chosen}} for rid in ids],
    )


@functools.lru_cache(maxsize=4)
def _update_statement(columns: tuple[str, ...]) -> Any:
    r = schema.runs
    return (
        update(r)
        .where(r.c.run_id == bindparam("rid"))
        .values({name: bindparam(f"new_{name}") for name in columns})
    )
