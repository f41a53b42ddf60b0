"""The trash routes: GET /trash lists trashed runs (newest deletion first), POST /trash/restore
takes runs out; DELETE /runs/{run_id} (run_handlers.py) puts them in. `store gc` empties it."""

from __future__ import annotations

from tornado import web

from mlops_jupyter.server import payloads
from mlops_jupyter.server.base_handler import BaseHandler
from mlops_jupyter.server.payloads import BadRequestError


class TrashHandler(BaseHandler):
    """GET /trash[?limit&offset]: a page of trashed runs, each with its deleted_at."""

    @web.authenticated
    def get(self) -> None:
        q = payloads.parse_runs_query(
            {k: self.query(k) for k in ("filter", "limit", "offset", "experiment")}, []
        )
        store = self.ctx.store
        runs = store.search_runs(
            filter=q.filter, limit=q.limit, offset=q.offset, experiment=q.experiment, trashed=True
        )
        when = store.trashed_at(r.run_id for r in runs)
        listed = [{**payloads.run_summary(r), "deleted_at": when.get(r.run_id)} for r in runs]
        listed.sort(key=lambda r: -(r["deleted_at"] or 0))
        total = store.count_runs(filter=q.filter, experiment=q.experiment, trashed=True)
        self.write_json({"runs": listed, "total": total, "offset": q.offset, "limit": q.limit})


class RestoreHandler(BaseHandler):
    """POST /trash/restore {"run_ids": [...]}: restore runs (and what was trashed with them)."""

    @web.authenticated
    def post(self) -> None:
        body = payloads.parse_body(self.request.body, {"run_ids": list}, ["run_ids"])
        ids = body["run_ids"]
        if not ids or len(ids) > payloads.MAX_PAGE:
            raise BadRequestError(f"run_ids takes 1 to {payloads.MAX_PAGE} run ids, got {len(ids)}")
        for run_id in ids:
            if not isinstance(run_id, str) or not payloads.RUN_ID_RE.match(run_id):
                raise BadRequestError(
                    f"bad run id {str(run_id)[:80]!r}; expected 32 hexadecimal characters"
                )
        restored = self.ctx.store.restore_runs(ids)
        self.write_json({"restored": restored})
