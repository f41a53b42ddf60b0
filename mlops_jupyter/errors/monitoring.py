"""Errors of profiles, drift baselines and metric gates."""

from __future__ import annotations

from mlops_jupyter.errors.base import MlopsJupyterError


class NoProfilesError(MlopsJupyterError, LookupError):
    """A run that holds no data profile, asked for drift."""

    def __init__(self, run_id: str, role: str) -> None:
        self.run_id, self.role = run_id, role
        super().__init__(
            f"the {role} run {run_id[:8]} has no data profiles; profiles are recorded for "
            "every DataFrame logged with log_table() or shown by a %%track cell: log the "
            "run's data that way, then compare again"
        )


class InvalidBaselineError(MlopsJupyterError, ValueError):
    """A baseline that is neither a run id nor a model alias this store can resolve."""

    def __init__(self, baseline: str, problem: str) -> None:
        self.baseline = baseline
        super().__init__(
            f"baseline {baseline!r}: {problem}; give a run id (or a unique prefix of it, "
            "`mlops-jupyter runs ls` lists them) or models:/NAME@ALIAS"
        )


class MetricNotFoundError(MlopsJupyterError, LookupError):
    """A metric a gate checks that the run did not record."""

    def __init__(self, run_id: str, metric: str, recorded: list[str]) -> None:
        self.run_id, self.metric = run_id, metric
        known = ", ".join(sorted(recorded)[:20]) or "none"
        super().__init__(
            f"run {run_id[:8]} has no metric {metric!r} (recorded: {known}); "
            "give one of those with --metric"
        )


class InvalidGateError(MlopsJupyterError, ValueError):
    """A metric gate without a bound, or a bound it cannot check."""
