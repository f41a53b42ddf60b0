"""A run's artifacts: rows naming content-addressed blobs, written, served and collected."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from mlops_jupyter.errors import ArtifactNotFoundError, ArtifactSourceError
from mlops_jupyter.store import blob_gc, schema
from mlops_jupyter.store.blob_gc import DEFAULT_GRACE_SECONDS
from mlops_jupyter.store.blobs import BlobStore
from mlops_jupyter.store.connection import StoreConnection
from mlops_jupyter.store.records import ArtifactRecord

if TYPE_CHECKING:
    from sqlalchemy import ScalarResult


class RunArtifacts(StoreConnection):
    """Artifact rows in the database over the blobs in `blobs`; `RunStore` inherits them and
    opens `blobs`. A row is committed only once its blob is whole, and gc keeps any blob a row
    names."""

    blobs: BlobStore

    def log_artifact(
        self,
        run_id: str,
        name: str,
        data: bytes | str | os.PathLike[str],
        media_type: str = "application/octet-stream",
    ) -> ArtifactRecord:
        """Store bytes or a file's content as the run's artifact `name` (replacing a same-named
        one). The blob is written (or verified, and repaired if corrupt) before the row, and
        held against `gc` until the row is committed, so a row always points at a whole blob."""
        if isinstance(data, (bytes, bytearray, memoryview)):
            source: bytes | str | os.PathLike[str] = bytes(data)
        elif not Path(data).is_file():
            raise ArtifactSourceError(os.fspath(data), "log_artifact")
        else:
            source = data
        with self.blobs.holding(source) as (sha, size):
            record = ArtifactRecord(name, sha, size, media_type, time.time())
            row = {"run_id": run_id, **record.__dict__}
            self._write(
                lambda conn: conn.execute(
                    self._insert(
                        schema.artifacts,
                        ["run_id", "name"],
                        ["sha256", "size", "media_type", "created"],
                    ),
                    row,
                )
            )
        return record

    def read_artifact(self, sha256: str) -> bytes:
        """A blob's bytes by hash, verified; only hashes a run references are served."""
        a = schema.artifacts
        known = self._read(
            lambda conn: conn.execute(
                select(a.c.sha256).where(a.c.sha256 == sha256).limit(1)
            ).first()
        )
        if known is None:
            raise ArtifactNotFoundError(sha256)
        return self.blobs.read(sha256)

    def gc(
        self, dry_run: bool = False, grace_seconds: float = DEFAULT_GRACE_SECONDS
    ) -> dict[str, int]:
        """Delete blobs no run references and partial blobs of killed writers.

        Blobs and partial files younger than `grace_seconds` (default an hour) are kept, as are
        blobs of writes in flight; see blob_gc.collect. Returns counts: removed and bytes
        (blobs freed), partial and partial_bytes (killed writers' leftovers), kept
        (referenced) and young (unreferenced but within the grace period or in flight).
        """
        return blob_gc.collect(self.blobs, self._referenced_blobs, grace_seconds, dry_run)

    def _referenced_blobs(self, hashes: Sequence[str]) -> set[str]:
        """Which of `hashes` an artifact row names, read fresh (gc's first and second check)."""
        a = schema.artifacts
        found: set[str] = set()
        for start in range(0, len(hashes), 500):
            chunk = list(hashes[start : start + 500])

            def read(conn: Connection, chunk: list[str] = chunk) -> ScalarResult[Any]:
                return conn.execute(
                    select(a.c.sha256).where(a.c.sha256.in_(chunk)).distinct()
                ).scalars()

            found.update(self._read(read))
        return found
