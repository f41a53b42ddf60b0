"""The public ``mlops_jupyter.track_cell``: the exported ``%%track`` cell's run
(tracking/cell_run.py) that also logs the fitted models the cell assigns, as the magic does, so a
converted package's step run carries the model the registry and CT promote."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from mlops_jupyter.models.autolog import log_assigned_models
from mlops_jupyter.tracking import cell_run


@contextlib.contextmanager
def track_cell(
    reads: Sequence[str],
    *namespaces: Mapping[str, Any],
    name: str | None = None,
    experiment: str | None = None,
    tags: Mapping[str, Any] | None = None,
) -> Iterator[cell_run.CellRun]:
    """Run the block as one run whose params are the simple values of `reads`; its
    ``models(names, locals(), globals())`` logs the fitted models among `names`.

    Args:
        reads: The notebook's parameter names and the names the cell reads.
        namespaces: Where to look the names up, first match wins (``locals(), globals()``).
        name, experiment, tags: As ``%%track --name/--experiment/--tag``.
    """
    with cell_run.track_cell(
        reads,
        *namespaces,
        name=name,
        experiment=experiment,
        tags=tags,
        model_logger=log_assigned_models,
    ) as cell:
        yield cell
