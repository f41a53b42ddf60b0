"""The Models view's routes on a real jupyter_server: the promote action applies the gate (409
with the reason, then forced and recorded), bad bodies are 400 and unknown models 404."""

from __future__ import annotations

import json

import mlops_jupyter as mj

NS = "mlops-jupyter"


class _Constant:
    def predict(self, frame):
        return [0] * len(frame)


async def _post(jp_fetch, path: str, body: dict):
    response = await jp_fetch(
        NS, *path.split("/"), method="POST", body=json.dumps(body), raise_error=False
    )
    return response.code, json.loads(response.body)


async def test_promote_goes_through_the_gate_and_is_recorded(jp_fetch, lab_store_url) -> None:
    run = mj.start_run("broken", store=lab_store_url)
    mj.log_model(_Constant(), "m", run=run)
    run.end("failed", error="RuntimeError: diverged")
    mj.register_model(f"runs:/{run.run_id}/m", "fraud", store=lab_store_url)
    code, refused = await _post(
        jp_fetch, "models/fraud/aliases", {"alias": "champion", "version": 1}
    )
    assert code == 409 and "is failed: RuntimeError: diverged" in refused["message"]
    code, forced = await _post(
        jp_fetch, "models/fraud/aliases", {"alias": "champion", "version": 1, "force": True}
    )
    assert code == 200 and forced["event"]["forced"]
    assert forced["alias_history"][0]["reason"].startswith("its run")
    assert forced["versions"][0]["refusals"] and forced["versions"][0]["run_status"] == "failed"
    code, bad = await _post(jp_fetch, "models/fraud/aliases", {"alias": "champion"})
    assert code == 400 and "version" in bad["message"]
    code, missing = await _post(jp_fetch, "models/nope/aliases", {"alias": "a", "version": 1})
    assert code == 404 and "no registered model 'nope'" in missing["message"]
