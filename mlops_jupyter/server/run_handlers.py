"""Handlers that read and edit runs: the list, one run (and its deletion), its tags, its
parameters form, its metric histories, and runs compared side by side."""

from __future__ import annotations

from typing import Any

from tornado import web

from mlops_jupyter.errors import InvalidFilterError
from mlops_jupyter.server import actions, payloads
from mlops_jupyter.server.base_handler import BaseHandler
from mlops_jupyter.server.key_handlers import explain_filter
from mlops_jupyter.tracking import notes
from mlops_jupyter.tracking.compare import compare_runs
from mlops_jupyter.tracking.context import replay_spool


class RunsHandler(BaseHandler):
    """GET /runs: one page of runs, filtered and sorted, with the total count."""

    @web.authenticated
    def get(self) -> None:
        q = payloads.parse_runs_query(
            {k: self.query(k) for k in ("filter", "limit", "offset", "experiment")},
            self.get_query_arguments("order_by"),
        )
        store = self.ctx.store
        replay_spool(store)  # a listing away: what kernels spooled during an outage shows up
        try:
            runs = store.search_runs(
                filter=q.filter,
                order_by=q.order_by,
                limit=q.limit,
                offset=q.offset,
                experiment=q.experiment,
            )
            total = store.count_runs(filter=q.filter, experiment=q.experiment)
        except InvalidFilterError as err:
            # "unknown field 'learning_rate'; did you mean 'params.learning_rate'?"
            explain_filter(store, q.filter or "", err)
            raise
        if total == 0 and q.filter:
            explain_filter(store, q.filter)  # a typo in a key matches nothing: say so
        self.write_json(
            {
                "runs": [payloads.run_summary(r) for r in runs],
                "total": total,
                "offset": q.offset,
                "limit": q.limit,
                # the tree view's "▸ 4" on parents: one grouped count over this page
                "child_counts": store.child_counts(r.run_id for r in runs),
            }
        )


class RunHandler(BaseHandler):
    """GET /runs/{run_id}: one full run; DELETE[?children=1] moves it (and with `children`, the
    runs below it) to the trash, from where POST /trash/restore brings it back until gc."""

    @web.authenticated
    def get(self, run_id: str) -> None:
        self.write_json(payloads.run_detail(self.ctx.store.get_run(run_id), self.ctx.root_dir))

    @web.authenticated
    def delete(self, run_id: str) -> None:
        children = (self.query("children") or "").lower() in ("1", "true", "yes")
        self.ctx.store.trash_runs([run_id], children=children)
        self.set_status(204)
        self.finish()


class RunTagsHandler(BaseHandler):
    """POST /runs/{run_id}/tags {"tags": {k: v}}: set user tags, answer the updated run (the
    `mlops.*` system tags are read-only here too: tracking/notes.py)."""

    @web.authenticated
    def post(self, run_id: str) -> None:
        body = payloads.parse_body(self.request.body, {"tags": dict}, ["tags"])
        self.ctx.store.get_run(run_id)
        notes.edit_user_tags(self.ctx.store, run_id, payloads.parse_tags(body))
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


class CompareHandler(BaseHandler):
    """GET /compare?run_ids=A,B: runs side by side, differing params, overlaid metric histories."""

    @web.authenticated
    def get(self) -> None:
        ids = payloads.parse_run_ids(self.get_query_arguments("run_ids"))
        store = self.ctx.store
        runs = store.get_runs(ids)  # a few queries for 50 runs, not 50 x 3
        max_points = payloads.parse_max_points(self.query("max_points"), self.ctx.metric_max_points)
        comparison = compare_runs(runs)
        metric_keys = comparison.keys("metrics")
        every = store.metric_histories([r.run_id for r in runs], metric_keys)  # one query
        histories = {
            key: {
                r.run_id: payloads.downsample(
                    [(h.step, h.value) for h in every[key].get(r.run_id, [])], max_points
                )[0]
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
