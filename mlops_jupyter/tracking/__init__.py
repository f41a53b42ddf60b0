"""SERVICE tracking: the run lifecycle, the fluent API, provenance and artifact formats."""

from mlops_jupyter.tracking.run import Run, active_run, end_run, start_run

__all__ = ["Run", "active_run", "end_run", "start_run"]
