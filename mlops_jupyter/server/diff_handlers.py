"""GET /diff?run_ids=A,B: why two runs differ (tracking/diff.py), for the compare view's
Differences tab."""

from __future__ import annotations

from tornado import web

from mlops_jupyter.server import payloads
from mlops_jupyter.server.base_handler import BaseHandler
from mlops_jupyter.tracking.diff import diff_runs


class DiffHandler(BaseHandler):
    """GET /diff?run_ids=A,B: one list of differences by kind, A against B."""

    @web.authenticated
    def get(self) -> None:
        ids = payloads.parse_run_ids(self.get_query_arguments("run_ids"))
        if len(ids) != 2:
            raise payloads.BadRequestError(
                f"diff compares exactly 2 runs, got {len(ids)}; give run_ids=A,B"
            )
        store = self.ctx.store
        a, b = store.get_run(ids[0]), store.get_run(ids[1])
        self.write_json(
            {
                "a": a.run_id,
                "b": b.run_id,
                "differences": [d.to_dict() for d in diff_runs(a, b, store.read_artifact)],
            }
        )
