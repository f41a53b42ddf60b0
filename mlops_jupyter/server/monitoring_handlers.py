"""Handlers of the monitoring views: a run's data drift against a baseline (the compare's
Drift tab)."""

from __future__ import annotations

import asyncio
import math
from typing import Any

from tornado import web

from mlops_jupyter.errors import InvalidArgumentError
from mlops_jupyter.server.base_handler import BaseHandler


class DriftHandler(BaseHandler):
    """GET /runs/{run_id}/drift?baseline=RUN_OR_MODELS_URI[&method=M][&threshold=T]: the
    ``runs drift --format json`` document (non-finite statistics as null). Computed on the
    action pool: the tests are CPU work and must not hold the server's loop."""

    @web.authenticated
    async def get(self, run_id: str) -> None:
        from mlops_jupyter.monitoring.drift import drift_report

        baseline = self.query("baseline")
        if not baseline:
            raise InvalidArgumentError(
                "the drift route needs ?baseline=RUN_ID (or models:/NAME@ALIAS)"
            )
        threshold = _threshold(self.query("threshold"))
        report = await asyncio.get_running_loop().run_in_executor(
            self.ctx.actions,
            lambda: drift_report(
                self.ctx.store, run_id, baseline, self.query("method") or None, threshold
            ),
        )
        self.write_json(_finite(report))


def _threshold(text: str | None) -> float | None:
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise InvalidArgumentError(f"threshold {text!r} is not a number") from None


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value
