"""The keys a store knows: every param, metric and tag key and experiment name (for suggestions)."""

from __future__ import annotations

from sqlalchemy import Connection, select

from mlops_jupyter.store import schema


def known_keys(conn: Connection) -> dict[str, list[str]]:
    """family -> sorted distinct keys, plus "experiments" -> experiment names.

    One DISTINCT over each key column: the primary keys (run_id, key) do not serve it, so this
    scans; the server caches the answer for a few seconds.
    """
    out: dict[str, list[str]] = {}
    for family, table in (
        ("params", schema.params),
        ("metrics", schema.latest_metrics),
        ("tags", schema.tags),
    ):
        out[family] = sorted(conn.execute(select(table.c.key).distinct()).scalars())
    out["experiments"] = sorted(conn.execute(select(schema.experiments.c.name)).scalars())
    return out
