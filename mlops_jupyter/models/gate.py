"""The promotion gate: why a version's run is not fit to carry an alias (empty: it is)."""

from __future__ import annotations

from mlops_jupyter.store import RunStore
from mlops_jupyter.store.model_records import ModelVersionRecord

#: The reproduce verdict (execution/reproduce.py records it on the original run's tags).
REPRODUCE_VERDICT_TAG = "mlops.reproduce.verdict"
NOT_REPRODUCED = "not reproduced"


def refusals(store: RunStore, version: ModelVersionRecord) -> list[str]:
    """Every reason to refuse promoting `version`: its run failed or is not finished, the cell
    that trained it ran on hidden state, or reproducing the run gave other metrics."""
    record = store.get_run(version.run_id)
    reasons = []
    if record.status != "finished":
        detail = f": {record.error.strip().splitlines()[-1]}" if record.error else ""
        reasons.append(f"its run {record.run_id[:8]} is {record.status}{detail[:200]}")
    cell = record.provenance.get("cell") or {}
    if cell.get("hidden_state"):
        reasons.append(
            f"its run {record.run_id[:8]} was flagged for hidden state "
            f"({cell.get('hidden_state_reason') or 'cells ran out of order'})"
        )
    if record.tags.get(REPRODUCE_VERDICT_TAG) == NOT_REPRODUCED:
        differs = record.tags.get("mlops.reproduce.differs") or ""
        reasons.append(
            f"reproducing its run {record.run_id[:8]} gave other results"
            + (f" (metrics that differ: {differs})" if differs else "")
        )
    return reasons
