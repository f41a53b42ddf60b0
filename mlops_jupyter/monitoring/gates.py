"""Metric gates: does a run's metric pass against a baseline or a bound (CI's promotion check)?

A gate's verdict is also recorded on the run as the tag ``gate.<metric>`` (``passed: ...`` or
``failed: ...``), which is how the panel shows a failed gate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlops_jupyter.errors import InvalidGateError, MetricNotFoundError
from mlops_jupyter.formatting import fmt_value
from mlops_jupyter.monitoring.aliases import (
    MODEL_PREFIX,
    alias_run,
    parse_model_ref,
    registry_run,
    set_alias,
)
from mlops_jupyter.monitoring.drift import resolve_baseline, run_id_of, store_of

if TYPE_CHECKING:
    from mlops_jupyter.store import RunStore

GATE_TAG_PREFIX = "gate."


@dataclass(frozen=True)
class GateResult:
    """A gate's verdict; truthy when the run passes. `reason` is the one line the CLI prints."""

    passed: bool
    reason: str
    metric: str
    value: float
    baseline_value: float | None = None
    run_id: str = ""
    baseline_run_id: str | None = None

    def __bool__(self) -> bool:
        return self.passed

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``check-metrics --format json``)."""
        return dict(self.__dict__)


def check_metrics(
    run: Any,
    metric: str,
    *,
    baseline: Any = None,
    max_drop: float | None = None,
    max_rise: float | None = None,
    min: float | None = None,
    max: float | None = None,
    record: bool = True,
    promote: bool = False,
    store: RunStore | str | None = None,
) -> GateResult:
    """Check one metric of `run`: against `baseline` (it may drop by at most `max_drop`, or
    rise by at most `max_rise`, for a loss), and/or within the bounds `min` and `max`.

    Args:
        run: A Run, RunRecord or run id (prefix).
        metric: The metric's name; its latest value is checked.
        baseline: A run, run id or ``models:/NAME@ALIAS`` (needed by max_drop / max_rise).
        record: Also set the tag ``gate.<metric>`` on the run (the panel's badge).
        promote: With a ``models:/NAME@ALIAS`` baseline, move the alias to `run` when it
            passes, or when no run holds the alias yet (the first champion).
        store: A RunStore or URL (default: the run's own store, else the project store).

    Returns:
        A GateResult, truthy when every bound given holds.

    Raises:
        InvalidGateError: no bound given, or max_drop/max_rise without a baseline.
        MetricNotFoundError: the run (or the baseline) did not record `metric`.
    """
    bounds = {"max_drop": max_drop, "max_rise": max_rise, "min": min, "max": max}
    if all(v is None for v in bounds.values()):
        raise InvalidGateError(
            f"no bound for metric {metric!r}: give --max-drop, --max-rise, --min or --max"
        )
    if baseline is None and (max_drop is not None or max_rise is not None):
        raise InvalidGateError("--max-drop and --max-rise compare with a run: give --baseline")
    opened = store_of(run, store)
    record_ = opened.get_run(run_id_of(run))
    value = _metric(record_.run_id, record_.metrics, metric)
    base_ref = None if baseline is None else run_id_of(baseline)
    if promote and (base_ref is None or not base_ref.startswith(MODEL_PREFIX)):
        raise InvalidGateError("--promote moves a model alias: give --baseline models:/NAME@ALIAS")
    result = _verdict(opened, record_.run_id, metric, value, base_ref, bounds, promote)
    if promote and result.passed:
        set_alias(opened, record_.run_id, *parse_model_ref(str(base_ref)))
    if record:
        verdict = "passed" if result.passed else "failed"
        tag = f"{verdict}: {result.reason}"
        opened.set_tags(record_.run_id, {f"{GATE_TAG_PREFIX}{metric}": tag})
    return result


def _verdict(
    store: RunStore,
    run_id: str,
    metric: str,
    value: float,
    base_ref: str | None,
    bounds: dict[str, float | None],
    promote: bool,
) -> GateResult:
    if promote and base_ref and resolve_or_none(store, base_ref) is None:
        reason = f"{metric} {fmt_value(value)}: first holder of {base_ref}"
        return GateResult(True, reason, metric, value, None, run_id, None)
    base_value = base_id = None
    if base_ref is not None:
        base_id = resolve_baseline(store, base_ref)
        base_value = _metric(base_id, store.get_run(base_id).metrics, metric)
    failures = _failures(metric, value, base_value, bounds)
    reason = "; ".join(failures) if failures else _passing(metric, value, base_value, bounds)
    return GateResult(not failures, reason, metric, value, base_value, run_id, base_id)


def resolve_or_none(store: RunStore, ref: str) -> str | None:
    """The run a ``models:/`` reference names, or None when no run holds it yet."""
    name, alias = parse_model_ref(ref)
    return registry_run(store, name, alias) or alias_run(store, name, alias)


def _metric(run_id: str, metrics: dict[str, float], name: str) -> float:
    if name not in metrics:
        raise MetricNotFoundError(run_id, name, list(metrics))
    return float(metrics[name])


def _failures(
    metric: str, value: float, base: float | None, bounds: dict[str, float | None]
) -> list[str]:
    out = []
    if math.isnan(value):
        return [f"{metric} is NaN"]
    if base is not None and bounds["max_drop"] is not None and base - value > bounds["max_drop"]:
        out.append(
            f"{metric} {fmt_value(value)} dropped {fmt_value(base - value)} from baseline "
            f"{fmt_value(base)} (max drop {fmt_value(bounds['max_drop'])})"
        )
    if base is not None and bounds["max_rise"] is not None and value - base > bounds["max_rise"]:
        out.append(
            f"{metric} {fmt_value(value)} rose {fmt_value(value - base)} from baseline "
            f"{fmt_value(base)} (max rise {fmt_value(bounds['max_rise'])})"
        )
    if bounds["min"] is not None and value < bounds["min"]:
        out.append(f"{metric} {fmt_value(value)} is below the minimum {fmt_value(bounds['min'])}")
    if bounds["max"] is not None and value > bounds["max"]:
        out.append(f"{metric} {fmt_value(value)} is above the maximum {fmt_value(bounds['max'])}")
    return out


def _passing(metric: str, value: float, base: float | None, bounds: dict[str, float | None]) -> str:
    given = ", ".join(
        f"{k.replace('_', ' ')} {fmt_value(v)}" for k, v in bounds.items() if v is not None
    )
    against = f" (baseline {fmt_value(base)})" if base is not None else ""
    return f"{metric} {fmt_value(value)}{against} within {given}"
