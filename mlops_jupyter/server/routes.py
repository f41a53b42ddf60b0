"""REST handlers under /mlops-jupyter/: runs, one run, metrics, artifacts, compare, actions."""

from __future__ import annotations

import asyncio
import io
import json
import os
import urllib.parse
from typing import TYPE_CHECKING, Any

from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from tornado import web

from mlops_jupyter.errors import MlopsJupyterError
from mlops_jupyter.execution.cancel import CancelToken
from mlops_jupyter.server import actions, payloads
from mlops_jupyter.server.status import status_for
from mlops_jupyter.tracking.compare import compare_runs

if TYPE_CHECKING:
    from mlops_jupyter.server.context import ServerContext

NAMESPACE = "mlops-jupyter"
RUN_ID = r"(?P<run_id>[0-9a-f]{32})"
SHA256 = r"(?P<sha256>[0-9a-f]{64})"
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


class BaseHandler(ExtensionHandlerMixin, APIHandler):
    """Authenticated JSON handler; the only place where exceptions become HTTP errors."""

    @property
    def ctx(self) -> ServerContext:
        return self.settings["mlops_jupyter"]

    def write_json(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(data, default=str))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        status = status_for(exc) if exc is not None else status_code
        if isinstance(exc, web.HTTPError):
            message = exc.log_message or exc.reason or self._reason
        elif isinstance(exc, MlopsJupyterError) or (exc is not None and status < 500):
            message = str(exc)
        elif exc is not None:
            message = (
                f"internal error in mlops-jupyter ({type(exc).__name__}: {exc}); see the server log"
            )
        else:
            message = self._reason
        self.clear_header("Content-Disposition")
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(
            json.dumps(
                {"message": message, "error": type(exc).__name__ if exc else None, "status": status}
            )
        )

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        status = status_for(value)
        if status < 500:
            self.log.warning(
                "%s %s -> %d: %s", self.request.method, self.request.path, status, value
            )
        else:
            super().log_exception(typ, value, tb)

    def query(self, name: str) -> str | None:
        return self.get_query_argument(name, None)


class CapabilitiesHandler(BaseHandler):
    """GET /capabilities: the version and the actions (the panel's first call: a 404 here means
    the server extension is not enabled)."""

    @web.authenticated
    def get(self) -> None:
        from mlops_jupyter.version import __version__

        self.write_json(
            {
                "version": __version__,
                "store_url": self.ctx.store_url,
                "actions": dict.fromkeys(actions.ACTIONS, True),
            }
        )


class RunsHandler(BaseHandler):
    """GET /runs: one page of runs, filtered and sorted, with the total count."""

    @web.authenticated
    def get(self) -> None:
        q = payloads.parse_runs_query(
            {k: self.query(k) for k in ("filter", "limit", "offset", "experiment")},
            self.get_query_arguments("order_by"),
        )
        store = self.ctx.store
        runs = store.search_runs(
            filter=q.filter,
            order_by=q.order_by,
            limit=q.limit,
            offset=q.offset,
            experiment=q.experiment,
        )
        total = store.count_runs(filter=q.filter, experiment=q.experiment)
        self.write_json(
            {
                "runs": [payloads.run_summary(r) for r in runs],
                "total": total,
                "offset": q.offset,
                "limit": q.limit,
            }
        )


class RunHandler(BaseHandler):
    """GET /runs/{run_id}: one full run; DELETE removes it."""

    @web.authenticated
    def get(self, run_id: str) -> None:
        self.write_json(payloads.run_detail(self.ctx.store.get_run(run_id), self.ctx.root_dir))

    @web.authenticated
    def delete(self, run_id: str) -> None:
        self.ctx.store.get_run(run_id)
        self.ctx.store.delete_run(run_id)
        self.set_status(204)
        self.finish()


class RunTagsHandler(BaseHandler):
    """POST /runs/{run_id}/tags {"tags": {k: v}}: set tags, answer the updated run."""

    @web.authenticated
    def post(self, run_id: str) -> None:
        body = payloads.parse_body(self.request.body, {"tags": dict}, ["tags"])
        self.ctx.store.get_run(run_id)
        self.ctx.store.set_tags(run_id, payloads.parse_tags(body))
        self.write_json(payloads.run_detail(self.ctx.store.get_run(run_id), self.ctx.root_dir))


class ParametersHandler(BaseHandler):
    """GET /runs/{run_id}/parameters: the fields of the re-run form (name, type, default, help)."""

    @web.authenticated
    def get(self, run_id: str) -> None:
        self.write_json(actions.parameters_schema(self.ctx, self.ctx.store.get_run(run_id)))


class MetricsHandler(BaseHandler):
    """GET /runs/{run_id}/metrics[?key=K&max_points=N]: metric histories, downsampled."""

    @web.authenticated
    def get(self, run_id: str) -> None:
        store = self.ctx.store
        run = store.get_run(run_id)
        max_points = payloads.parse_max_points(self.query("max_points"), self.ctx.metric_max_points)
        keys = self.get_query_arguments("key") or sorted(run.metrics)
        self.write_json(
            {
                "run_id": run_id,
                "metrics": [metric_payload(store, run_id, k, max_points) for k in keys],
            }
        )


def metric_payload(store: Any, run_id: str, key: str, max_points: int) -> dict[str, Any]:
    """One metric's history as [[step, value], ...], downsampled to about max_points."""
    history = store.metric_history(run_id, key)
    points, downsampled = payloads.downsample([(h.step, h.value) for h in history], max_points)
    return {"key": key, "points": points, "total_points": len(history), "downsampled": downsampled}


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
    from mlops_jupyter.errors import ArtifactNotFoundError

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
            }
        )


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


class CompareHandler(BaseHandler):
    """GET /compare?run_ids=A,B: runs side by side, differing params, overlaid metric histories."""

    @web.authenticated
    def get(self) -> None:
        ids = payloads.parse_run_ids(self.get_query_arguments("run_ids"))
        store = self.ctx.store
        runs = [store.get_run(run_id) for run_id in ids]
        max_points = payloads.parse_max_points(self.query("max_points"), self.ctx.metric_max_points)
        comparison = compare_runs(runs)
        metric_keys = comparison.keys("metrics")
        histories = {
            key: {
                r.run_id: metric_payload(store, r.run_id, key, max_points)["points"]
                for r in runs
                if key in r.metrics
            }
            for key in metric_keys
        }
        self.write_json(
            {
                "runs": [payloads.run_detail(r, self.ctx.root_dir) for r in runs],
                "param_keys": comparison.keys("params"),
                "differing_params": comparison.differing("params"),
                "fields": [f.to_dict() for f in comparison.fields],
                "metric_keys": metric_keys,
                "histories": histories,
            }
        )


class ActionHandler(BaseHandler):
    """POST an action (rerun, reproduce, sweep, export, convert): see server/actions.py."""

    action = ""

    @web.authenticated
    async def post(self, run_id: str | None = None) -> None:
        spec = actions.ACTIONS[self.action]
        body = payloads.parse_body(self.request.body, spec.body, spec.required)
        if run_id is not None:
            body["run"] = self.ctx.store.get_run(run_id)
        if spec.background:
            token = CancelToken()
            call = spec.prepare(self.ctx, body, token)
            job = self.ctx.jobs.submit(self.action, lambda: call().summary, token)
            self.write_json(job, status=202)
            return
        call = spec.prepare(self.ctx, body, None)
        result = await asyncio.get_running_loop().run_in_executor(self.ctx.actions, call)
        self.write_json(result.to_json())


def _no_job(job_id: str) -> web.HTTPError:
    return web.HTTPError(
        404,
        f"no job {job_id!r}: the server restarted (jobs live only while it "
        "runs) or the job ended long ago; look for its runs in the list",
    )


class JobHandler(BaseHandler):
    """GET /jobs/{job_id}: state of a background action (queued, running, cancelling, finished,
    failed, cancelled + message); DELETE cancels it (202 while it stops, 200 when it never ran,
    409 when it already ended, 404 when unknown)."""

    @web.authenticated
    def get(self, job_id: str) -> None:
        record = self.ctx.jobs.get(job_id)
        if record is None:
            raise _no_job(job_id)
        self.write_json(record)

    @web.authenticated
    def delete(self, job_id: str) -> None:
        record = self.ctx.jobs.cancel(job_id)
        if record is None:
            raise _no_job(job_id)
        self.write_json(record, status=202 if record["status"] == "cancelling" else 200)


class NotFoundHandler(BaseHandler):
    """Anything else under /mlops-jupyter/: a JSON 404 (ids that do not match their pattern land
    here)."""

    @web.authenticated
    def get(self) -> None:
        raise web.HTTPError(
            404,
            f"no such mlops-jupyter route: {self.request.path!r} "
            "(run ids are 32 hex characters, artifact hashes 64)",
        )

    post = delete = get


def _action(name: str) -> type:
    return type(f"{name.title().replace('_', '')}Handler", (ActionHandler,), {"action": name})


def route_table() -> list[tuple[str, type]]:
    """(pattern, handler) pairs, relative to the server's base_url."""
    ns = f"/{NAMESPACE}"
    run = f"{ns}/runs/{RUN_ID}"
    return [
        (f"{ns}/capabilities", CapabilitiesHandler),
        (f"{ns}/runs", RunsHandler),
        (run, RunHandler),
        (f"{run}/tags", RunTagsHandler),
        (f"{run}/metrics", MetricsHandler),
        (f"{run}/parameters", ParametersHandler),
        (f"{run}/artifacts/{SHA256}", ArtifactHandler),
        (f"{run}/artifacts/{SHA256}/preview", TablePreviewHandler),
        (f"{run}/artifacts/{SHA256}/copy", ExecutedNotebookHandler),
        (f"{run}/reruns", _action("rerun")),
        (f"{run}/reproductions", _action("reproduce")),
        (f"{ns}/sweeps", _action("sweep")),
        (f"{ns}/exports", _action("export_script")),
        (f"{ns}/conversions", _action("convert")),
        (f"{ns}/jobs/(?P<job_id>[0-9a-f]{{32}})", JobHandler),
        (f"{ns}/compare", CompareHandler),
        (f"{ns}/.*", NotFoundHandler),
    ]
