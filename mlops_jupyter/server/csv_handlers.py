"""GET /runs.csv?filter=..&order_by=..: the listed runs as a CSV file (the panel's CSV button),
one row per run with params.*, metrics.* and tags.* columns, as `runs()` gives them."""

from __future__ import annotations

import io

from tornado import web

from mlops_jupyter.server import payloads
from mlops_jupyter.server.base_handler import BaseHandler

#: The most rows one download holds (a bigger store is filtered first, or read with `runs()`).
MAX_CSV_ROWS = 100_000


class RunsCsvHandler(BaseHandler):
    """The filtered, sorted runs as text/csv, sent as an attachment."""

    @web.authenticated
    def get(self) -> None:
        q = payloads.parse_runs_query(
            {k: self.query(k) for k in ("filter", "experiment")},
            self.get_query_arguments("order_by"),
        )
        frame = self.ctx.store.runs_frame(
            filter=q.filter, order_by=q.order_by, experiment=q.experiment, limit=MAX_CSV_ROWS
        )
        out = io.StringIO()
        frame.to_csv(out, index=False)
        self.set_header("Content-Type", "text/csv; charset=utf-8")
        self.set_header("Content-Disposition", 'attachment; filename="runs.csv"')
        self.set_header("X-Content-Type-Options", "nosniff")
        self.write(out.getvalue())
        self.finish(set_content_type="text/csv; charset=utf-8")
