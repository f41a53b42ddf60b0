"""Handlers that start actions (server/actions.py: at once, or as background jobs) and follow or
cancel those jobs."""

from __future__ import annotations

import asyncio

from tornado import web

from mlops_jupyter.execution.cancel import CancelToken
from mlops_jupyter.server import actions, payloads
from mlops_jupyter.server.base_handler import BaseHandler
from mlops_jupyter.server.jobs import JobProgress


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
            token, progress = CancelToken(), JobProgress()
            call = spec.prepare(self.ctx, body, token, progress)
            job = self.ctx.jobs.submit(self.action, lambda: call().outcome(), token, progress)
            self.write_json(job, status=202)
            return
        call = spec.prepare(self.ctx, body, None, None)
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


def action_handler(name: str) -> type:
    """The handler class of action `name` (named after it, e.g. RerunHandler)."""
    return type(f"{name.title().replace('_', '')}Handler", (ActionHandler,), {"action": name})
