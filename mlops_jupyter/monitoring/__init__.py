"""Continuous monitoring: data profiles of a run's tables, drift between runs, metric gates and
the one-page run report (the public functions are re-exported by ``mlops_jupyter``)."""
