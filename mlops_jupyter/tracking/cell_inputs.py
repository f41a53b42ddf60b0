"""What an exported ``%%track`` cell reads, recorded on its run as the magic records it
(magics/lineage_cell.py): the files read while it runs (the read hooks), the data profiles of
the DataFrames among the names it reads, and the fingerprints of the tables it shows.

Everything here is guarded by the caller: a failure is one warning, never the step's error.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from mlops_jupyter.monitoring.input_profiles import log_input_profiles
from mlops_jupyter.tracking import read_hooks
from mlops_jupyter.tracking.fingerprint import fingerprint_if_frame
from mlops_jupyter.tracking.inputs import record_reads
from mlops_jupyter.tracking.run import Run


def profile_input_frames(run: Run, values: Mapping[str, Any]) -> list[str]:
    """Profile the DataFrames among the cell's read `values` (as ``input.NAME``) before it
    runs, so drift can compare a pipeline's inputs with the notebook's."""
    return log_input_profiles(run, dict(values), list(values))


@contextlib.contextmanager
def noting_reads() -> Iterator[read_hooks.Reads]:
    """The files read while the block runs (the hooks stay installed, inert, afterwards)."""
    with read_hooks.recording() as reads:
        yield reads


def record_cell_inputs(run: Run, reads: read_hooks.Reads, shown: Sequence[Any]) -> list[str]:
    """Add the files read to the run's inputs and the fingerprints of the shown frames to its
    provenance; returns the problems (short texts) for one warning."""
    problems = record_reads(run, reads)
    frames = []
    for i, frame in enumerate(shown):
        fingerprint = fingerprint_if_frame(frame)
        if fingerprint is not None:
            frames.append({"name": f"table_{i + 1}", **fingerprint})
    if frames:
        run.store.set_provenance(run.run_id, {"frames": frames})
    return problems
