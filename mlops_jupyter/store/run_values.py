"""The values logged to a run: params, tags, metric points and provenance documents, written."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, delete, update
from sqlalchemy.exc import SQLAlchemyError

from mlops_jupyter.store import docs, queries, schema
from mlops_jupyter.store.connection import StoreConnection
from mlops_jupyter.store.rows import param_rows_of, tag_rows_of

MetricRow = tuple[str, str, int, float, float]  # run_id, key, step, value, timestamp
#: A provenance document ready to store: (kind, sha256 of its JSON, the JSON).
ProvenanceDoc = tuple[str, str, str]


class RunValues(StoreConnection):
    """The writes of a run's values, each one transaction; `RunStore` inherits them.

    The `write_*` methods run inside a transaction someone else opened, so creating or ending
    a run can write its first params or last metrics in the same transaction.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._known_provenance: set[str] = set()
        self._doc_cache: dict[int, tuple[Any, str, str]] = {}
        super().__init__(*args, **kwargs)

    def on_reopen(self) -> None:
        """The database was recreated: provenance known to be stored no longer is."""
        super().on_reopen()
        self._known_provenance.clear()

    # -- params, tags, metrics ---------------------------------------------------------------

    def write_rows(
        self, conn: Connection, table: Any, rows: list[dict[str, Any]], update_cols: list[str]
    ) -> None:
        """Upsert checked (run_id, key) rows of `table` in the open transaction `conn`."""
        if rows:
            conn.execute(self._insert(table, ["run_id", "key"], update_cols), rows)

    def log_params(self, run_id: str, params: Mapping[str, Any]) -> None:
        """Record parameters (typed); a key logged again takes the new value.

        Raises:
            ValueLimitError: a key or value over the limits in store/limits.py (checked before
                anything is written, so a refused batch writes nothing).
        """
        rows = param_rows_of(run_id, params)
        if not rows:
            return

        def write(conn: Connection) -> None:
            self.write_rows(conn, schema.params, rows, ["value", "value_num", "type"])
            docs.rebuild(conn, [run_id], params=True)

        self._write(write)

    def set_tags(self, run_id: str, tags: Mapping[str, Any]) -> None:
        """Set tags (strings) on a run; `run_id` may be a unique prefix."""
        self.edit_tags(run_id, tags, ())

    def edit_tags(self, run_id: str, tags: Mapping[str, Any], remove: Sequence[str]) -> None:
        """Set `tags` and delete the tags named in `remove`, in one transaction (so renaming a
        tag from the run page is never half done); `run_id` may be a unique prefix."""
        checked = tag_rows_of("", tags)
        gone = [k for k in dict.fromkeys(remove) if k not in tags]

        def write(conn: Connection) -> None:
            full = queries.resolve_run_id(conn, run_id)
            if gone:
                conn.execute(
                    delete(schema.tags).where(
                        schema.tags.c.run_id == full, schema.tags.c.key.in_(gone)
                    )
                )
            if checked:
                self.write_rows(
                    conn, schema.tags, [{**t, "run_id": full} for t in checked], ["value"]
                )
            if checked or gone:
                docs.rebuild(conn, [full], tags=True)
            conn.execute(
                update(schema.runs)
                .where(schema.runs.c.run_id == full)
                .values(updated_at=time.time())
            )

        self._write(write)

    def log_metrics(self, rows: Sequence[MetricRow]) -> None:
        """Write a batch of metric points (any runs) and advance each metric's latest value."""
        if rows:
            self._write(lambda conn: self.write_metrics(conn, rows))

    def write_metrics(self, conn: Connection, rows: Sequence[MetricRow]) -> None:
        """Write metric points in the open transaction `conn`: every step, each metric's
        latest value (a later step wins) and the runs' metric caches."""
        if not rows:
            return
        points: list[dict[str, Any]] = [
            {"run_id": r, "key": k, "step": s, "value": v, "timestamp": t} for r, k, s, v, t in rows
        ]
        latest: dict[tuple[str, str], dict[str, Any]] = {}
        for point in points:
            seen = latest.get((point["run_id"], point["key"]))
            if seen is None or point["step"] >= seen["step"]:
                latest[(point["run_id"], point["key"])] = point
        conn.execute(
            self._insert(schema.metrics, ["run_id", "key", "step"], ["value", "timestamp"]), points
        )
        conn.execute(
            self._insert(
                schema.latest_metrics,
                ["run_id", "key"],
                ["step", "value", "timestamp"],
                only_newer=True,
            ),
            list(latest.values()),
        )
        docs.refresh_metrics(conn, {p["run_id"] for p in points}, time.time())

    # -- provenance ----------------------------------------------------------------------------

    def encode_provenance(self, provenance: Mapping[str, Any]) -> list[ProvenanceDoc]:
        """(kind, sha256, JSON) per document. The per-process documents (package list, git) are
        the same objects every run, so their encoding is remembered by identity."""
        out = []
        for kind, doc in provenance.items():
            cached = self._doc_cache.get(id(doc))
            if cached is not None and cached[0] is doc:
                out.append((kind, cached[1], cached[2]))
                continue
            content = json.dumps(doc, sort_keys=True, default=str)
            digest = hashlib.sha256(content.encode()).hexdigest()
            if len(content) > 4096:  # only big documents are worth keeping alive
                self._doc_cache[id(doc)] = (doc, digest, content)
            out.append((kind, digest, content))
        return out

    def write_provenance(self, conn: Connection, run_id: str, docs: list[ProvenanceDoc]) -> None:
        """Attach encoded documents to a run in the open transaction `conn`, storing each
        document's content only once (and not again while this store knows it is there)."""
        if not docs:
            return
        fresh = [{"sha256": h, "content": c} for _, h, c in docs if h not in self._known_provenance]
        if fresh:
            conn.execute(self._insert(schema.provenance_blobs, ["sha256"]), fresh)
        conn.execute(
            self._insert(schema.run_provenance, ["run_id", "kind"], ["sha256"]),
            [{"run_id": run_id, "kind": k, "sha256": h} for k, h, _ in docs],
        )
        self._known_provenance.update(h for _, h, _ in docs)

    def set_provenance(self, run_id: str, provenance: Mapping[str, Any]) -> None:
        """Attach provenance documents by kind; identical documents are stored once."""
        docs = self.encode_provenance(provenance)
        try:
            self._write(lambda conn: self.write_provenance(conn, run_id, docs))
        except SQLAlchemyError:
            self._known_provenance.clear()
            raise
