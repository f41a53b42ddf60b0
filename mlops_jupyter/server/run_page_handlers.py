"""Handlers for what people edit on a run page: its note and its user tags (`mlops.*` system
tags are read-only: tracking/notes.py holds the rule)."""

from __future__ import annotations

from tornado import web

from mlops_jupyter.server import payloads
from mlops_jupyter.server.base_handler import BaseHandler
from mlops_jupyter.tracking import notes


class RunNoteHandler(BaseHandler):
    """POST /runs/{run_id}/note {"note": "text"}: replace the run's note ("" removes it) and
    answer the updated run."""

    @web.authenticated
    def post(self, run_id: str) -> None:
        body = payloads.parse_body(self.request.body, {"note": str}, ["note"])
        store = self.ctx.store
        store.get_run(run_id)  # 404 before any write
        notes.set_note(store, run_id, body["note"])
        self.write_json(payloads.run_detail(store.get_run(run_id), self.ctx.root_dir))


class RunUserTagsHandler(BaseHandler):
    """POST /runs/{run_id}/user-tags {"set": {k: v}, "remove": [k]}: add, edit (a rename is a
    set plus a remove) and delete user tags in one transaction; any `mlops.*` key is a 400."""

    @web.authenticated
    def post(self, run_id: str) -> None:
        body = payloads.parse_body(self.request.body, {"set": dict, "remove": list}, [])
        tags = payloads.parse_tags({"tags": body.get("set") or {}})
        remove = body.get("remove") or []
        bad = [k for k in remove if not isinstance(k, str)]
        if bad:
            raise payloads.BadRequestError(
                f"'remove' must list tag keys as strings, got {bad[0]!r}"
            )
        if not tags and not remove:
            raise payloads.BadRequestError(
                "nothing to do: give tags to set in 'set' and/or keys to delete in 'remove'"
            )
        store = self.ctx.store
        store.get_run(run_id)
        notes.edit_user_tags(store, run_id, tags, remove)
        self.write_json(payloads.run_detail(store.get_run(run_id), self.ctx.root_dir))
