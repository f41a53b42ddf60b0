"""GET /importance?run_ids=A,B,..&metric=M: W&B-style parameter importance, the feature
importances of a random forest (scikit-learn) fitted from the runs' params to the metric."""

from __future__ import annotations

from typing import Any

from tornado import web

from mlops_jupyter.server import payloads
from mlops_jupyter.server.base_handler import BaseHandler
from mlops_jupyter.server.payloads import BadRequestError

#: Trees in the forest: enough for stable ranks over a few hundred runs, fast on one core.
TREES = 100


def param_matrix(runs: list[Any], keys: list[str]) -> list[list[float]]:
    """Params as numbers: numbers as they are, booleans 0/1, strings by sorted rank, missing -1."""
    ranks = {
        k: {
            v: i
            for i, v in enumerate(
                sorted({r.params[k] for r in runs if isinstance(r.params.get(k), str)})
            )
        }
        for k in keys
    }
    rows = []
    for r in runs:
        row = []
        for k in keys:
            v = r.params.get(k)
            if isinstance(v, (bool, int, float)):  # booleans as 0/1
                row.append(float(v))
            elif isinstance(v, str):
                row.append(float(ranks[k][v]))
            else:
                row.append(-1.0)
        rows.append(row)
    return rows


def forest_importance(runs: list[Any], metric: str) -> dict[str, Any]:
    """{param: importance} (summing to 1) of a random forest over the runs that have `metric`."""
    try:
        from sklearn.ensemble import RandomForestRegressor
    except ImportError as err:
        raise BadRequestError(
            "parameter importance needs scikit-learn: pip install 'mlops-jupyter[importance]'"
        ) from err
    have = [r for r in runs if isinstance(r.metrics.get(metric), (int, float))]
    keys = sorted({k for r in have for k in r.params})
    if len(have) < 2 or not keys:
        raise BadRequestError(
            f"importance needs at least 2 runs with metric {metric!r} and parameters; "
            f"{len(have)} of {len(runs)} runs have it"
        )
    model = RandomForestRegressor(n_estimators=TREES, random_state=0)
    model.fit(param_matrix(have, keys), [float(r.metrics[metric]) for r in have])
    return {
        "metric": metric,
        "importance": {k: float(v) for k, v in zip(keys, model.feature_importances_)},
        "method": f"random forest ({TREES} trees) over {len(have)} runs",
    }


class ImportanceHandler(BaseHandler):
    """GET /importance?run_ids=A,B&metric=acc: {"metric", "importance": {param: 0..1}, "method"}."""

    @web.authenticated
    def get(self) -> None:
        ids = payloads.parse_run_ids(self.get_query_arguments("run_ids"))
        metric = (self.query("metric") or "").strip()
        if not metric:
            raise BadRequestError("importance needs ?metric=NAME, the metric to explain")
        runs = [self.ctx.store.get_run(run_id) for run_id in ids]
        self.write_json(forest_importance(runs, metric))
