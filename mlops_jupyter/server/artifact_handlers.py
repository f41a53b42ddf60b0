"""Handlers that serve a run's artifacts by their sha256 only: the blob itself, a table's first
rows, and a notebook copied under the root to open it."""

from __future__ import annotations

import io
import json
import os
import urllib.parse
from typing import Any

from tornado import web

from mlops_jupyter.errors import ArtifactNotFoundError
from mlops_jupyter.server import payloads
from mlops_jupyter.server.base_handler import BaseHandler

_CHUNK = 1 << 16
# Media types a browser may show inline; everything else is sent as a download.
_INLINE_TYPES = {
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/svg+xml",
    "text/plain",
    "text/csv",
    "application/json",
}


def _artifact(run: Any, sha256: str) -> dict[str, Any]:
    """The run's artifact with this hash (as a dict); a hash the run does not reference is a 404."""
    for artifact in run.artifacts:
        if artifact.sha256 == sha256:
            return {
                "name": artifact.name,
                "sha256": artifact.sha256,
                "size": artifact.size,
                "media_type": artifact.media_type,
            }
    raise ArtifactNotFoundError(f"{sha256} of run {run.run_id}")


class ArtifactHandler(BaseHandler):
    """GET /runs/{run_id}/artifacts/{sha256}: the blob, by hash only, streamed with its media
    type."""

    @web.authenticated
    async def get(self, run_id: str, sha256: str) -> None:
        artifact = _artifact(self.ctx.store.get_run(run_id), sha256)
        data = self.ctx.store.read_artifact(sha256)
        media_type = artifact.get("media_type") or "application/octet-stream"
        self.set_header("Content-Type", media_type)
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header(
            "Content-Security-Policy",
            "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'",
        )
        self.set_header("Cache-Control", "private, max-age=31536000, immutable")
        disposition = (
            "inline" if media_type in _INLINE_TYPES and not self.query("download") else "attachment"
        )
        name = urllib.parse.quote(os.path.basename(str(artifact.get("name") or sha256)), safe="")
        self.set_header("Content-Disposition", f"{disposition}; filename*=UTF-8''{name}")
        for start in range(0, len(data), _CHUNK):
            self.write(data[start : start + _CHUNK])
            await self.flush()
        self.finish()


class TablePreviewHandler(BaseHandler):
    """GET /runs/{run_id}/artifacts/{sha256}/preview: the first rows of a table artifact as JSON."""

    @web.authenticated
    def get(self, run_id: str, sha256: str) -> None:
        artifact = _artifact(self.ctx.store.get_run(run_id), sha256)
        rows = payloads.parse_int("rows", self.query("rows"), 50, 1, 1000)
        frame = read_table(self.ctx.store.read_artifact(sha256), artifact)
        head = frame.head(rows)
        self.write_json(
            {
                "columns": [str(c) for c in head.columns],
                "rows": json.loads(
                    head.to_json(orient="values", date_format="iso", default_handler=str)
                ),
                "total_rows": len(frame),
                **index_preview(head),
            }
        )


def index_preview(head: Any) -> dict[str, Any]:
    """The rows' DataFrame index (every level of a MultiIndex) as the preview's first columns:
    `index_columns` their names ("" for an unnamed level), `index` one list of values per row."""
    levels = head.index.to_frame(index=False)
    return {
        "index_columns": ["" if n is None else str(n) for n in head.index.names],
        "index": json.loads(
            levels.to_json(orient="values", date_format="iso", default_handler=str)
        ),
    }


def read_table(data: bytes, artifact: dict[str, Any]) -> Any:
    """Read a table artifact (parquet, CSV, JSON) into a DataFrame."""
    import pandas as pd

    media_type = str(artifact.get("media_type") or "")
    name = str(artifact.get("name") or "")
    if "dataresource" in media_type or name.endswith(".table.json"):
        return pd.read_json(io.BytesIO(data), orient="table")
    if "parquet" in media_type or name.endswith(".parquet"):
        return pd.read_parquet(io.BytesIO(data))
    if "csv" in media_type or name.endswith(".csv"):
        return pd.read_csv(io.BytesIO(data))
    if "json" in media_type or name.endswith(".json"):
        return pd.read_json(io.BytesIO(data), orient=None)
    raise payloads.BadRequestError(
        f"artifact {name!r} ({media_type}) is not a table; expected parquet, CSV or JSON"
    )


class ExecutedNotebookHandler(BaseHandler):
    """POST /runs/{run_id}/artifacts/{sha256}/copy: write a notebook artifact under the root to
    open it."""

    @web.authenticated
    def post(self, run_id: str, sha256: str) -> None:
        run = self.ctx.store.get_run(run_id)
        artifact = _artifact(run, sha256)
        stem = (
            os.path.splitext(os.path.basename(str(artifact.get("name") or "executed")))[0]
            or "executed"
        )
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in stem)[:60]
        rel = f"mlops-runs/{safe}-{run_id[:8]}.ipynb"
        full = payloads.resolve_notebook(self.ctx.root_dir, rel, must_exist=False)
        if not os.path.exists(full):
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full + ".tmp", "wb") as fh:
                fh.write(self.ctx.store.read_artifact(sha256))
            os.replace(full + ".tmp", full)
        self.write_json({"path": rel})
