"""RunStore: the one public class over a store, its writes inherited by concern, its reads here."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, select

from mlops_jupyter.errors import StoreUnavailableError
from mlops_jupyter.store import batch_reads, key_queries, queries, schema
from mlops_jupyter.store.artifacts import RunArtifacts
from mlops_jupyter.store.blobs import BlobStore
from mlops_jupyter.store.location import default_blob_root, sqlite_path
from mlops_jupyter.store.records import ExperimentRecord, MetricPoint, RunRecord
from mlops_jupyter.store.registry import ModelRegistryRows
from mlops_jupyter.store.run_lifecycle import RunLifecycle
from mlops_jupyter.store.trash import RunTrash

if TYPE_CHECKING:
    import pandas as pd


class RunStore(RunLifecycle, RunArtifacts, ModelRegistryRows, RunTrash):
    """A run store at a SQLite file or PostgreSQL URL, plus its artifact blob store.

    Opening it creates the schema in an empty database, refuses a foreign or newer one, and
    marks runs whose process died as killed. The writes come by concern from its bases:
    `RunLifecycle` (create, end, reopen, heartbeat, reap, delete), `RunValues` (params, tags,
    metrics, provenance), `RunArtifacts` (artifacts, gc), `ModelRegistryRows` (the model
    registry) and `RunTrash` (soft delete, restore); `StoreConnection` runs every transaction.
    """

    def __init__(
        self,
        url: str | os.PathLike[str] | None = None,
        *,
        blob_root: str | None = None,
        migrate: bool = False,
        force: bool = False,
    ) -> None:
        super().__init__(url, migrate=migrate, force=force)
        self.blobs = BlobStore(blob_root or default_blob_root(self.url))
        if not self.read_only:
            try:
                self._guard(lambda: self.reap_dead_runs(wait=False))
            except StoreUnavailableError:  # marking dead runs is a courtesy: a full disk (or
                pass  # a store that cannot be written right now) must not stop a read

    # -- reads ----------------------------------------------------------------------------

    def get_run(self, run_id: str) -> RunRecord:
        """One run with params, latest metrics, tags, artifacts and provenance."""
        return self._read(lambda conn: queries.get_run(conn, run_id))

    def run_experiment(self, run_id: str) -> str | None:
        """The experiment name of a run (None when there is no such run)."""
        r, e = schema.runs, schema.experiments
        return self._read(
            lambda conn: conn.execute(
                select(e.c.name)
                .join(r, r.c.experiment_id == e.c.experiment_id)
                .where(r.c.run_id == run_id)
            ).scalar()
        )

    def resolve_run_id(self, run_id: str) -> str:
        """The full id for an id or unique prefix."""
        return self._read(lambda conn: queries.resolve_run_id(conn, run_id))

    def search_runs(self, **kwargs: Any) -> list[RunRecord]:
        """Runs matching a filter, sorted and paged (see queries.search_runs)."""
        return self._read(lambda conn: queries.search_runs(conn, **kwargs))

    def count_runs(self, **kwargs: Any) -> int:
        """How many runs match a filter."""
        return self._read(lambda conn: queries.count_runs(conn, **kwargs))

    def runs_frame(self, **kwargs: Any) -> pd.DataFrame:
        """Matching runs as a DataFrame with params.*, metrics.*, tags.* columns."""
        return self._read(lambda conn: queries.runs_frame(conn, **kwargs))

    def metric_history(self, run_id: str, key: str) -> list[MetricPoint]:
        """Every step of one metric of one run."""
        return self._read(
            lambda conn: queries.metric_history(conn, queries.resolve_run_id(conn, run_id), key)
        )

    def get_runs(self, run_ids: list[str]) -> list[RunRecord]:
        """Several runs as ``get_run`` gives each, in the order asked, read in a few queries."""
        return self._read(lambda conn: batch_reads.get_runs(conn, run_ids))

    def metric_histories(
        self, run_ids: list[str], keys: list[str]
    ) -> dict[str, dict[str, list[MetricPoint]]]:
        """Every step of each metric key for each run in one query: ``{key: {run_id: [...]}}``."""
        return self._read(lambda conn: batch_reads.metric_histories(conn, run_ids, keys))

    def metric_keys(self, run_id: str) -> list[str]:
        """The names of the metrics a run has logged."""
        lm = schema.latest_metrics
        return self._read(
            lambda conn: list(
                conn.execute(
                    select(lm.c.key).where(lm.c.run_id == run_id).order_by(lm.c.key)
                ).scalars()
            )
        )

    def known_keys(self) -> dict[str, list[str]]:
        """Every param, metric and tag key and experiment name (the filter box's suggestions)."""
        return self._read(key_queries.known_keys)

    def list_experiments(self) -> list[ExperimentRecord]:
        """Every experiment with its number of runs."""
        return self._read(queries.list_experiments)

    # -- maintenance ----------------------------------------------------------------------

    def gc(self, dry_run: bool = False, grace_seconds: float | None = None) -> dict[str, int]:
        """Purge the runs in the trash, then delete the blobs no run references (see
        RunArtifacts.gc); the counts gain `trashed_runs`, the runs purged (or, dry, to purge)."""
        trashed = self.purge_trash(dry_run=dry_run)
        kwargs = {} if grace_seconds is None else {"grace_seconds": grace_seconds}
        return {**super().gc(dry_run=dry_run, **kwargs), "trashed_runs": trashed}

    def info(self) -> dict[str, Any]:
        """Location, schema version, counts and size of the store."""

        def count(conn: Connection) -> dict[str, int]:
            return {
                t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
                for t in (schema.experiments, schema.runs, schema.metrics, schema.artifacts)
            }

        counts = self._read(count)
        path = sqlite_path(self.url)
        return {
            "store": self.location,
            "backend": self.dialect,
            "read_only": self.read_only,
            "schema_version": self.schema_version(),
            "blobs": self.blobs.root,
            "size_bytes": path.stat().st_size if path and path.exists() else None,
            **{f"{k}_count": v for k, v in counts.items()},
        }
