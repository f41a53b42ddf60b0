"""Where profiles live: two artifacts per table of a run, ``NAME.profile.json`` (the profile)
and ``NAME.sample.npz`` (the numerical sample the drift tests read)."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlops_jupyter.monitoring.profile import load_sample, profile_frame

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from mlops_jupyter.store import RunStore

PROFILE_SUFFIX = ".profile.json"
SAMPLE_SUFFIX = ".sample.npz"
PROFILE_MEDIA_TYPE = "application/vnd.mlops-jupyter.profile+json"
SAMPLE_MEDIA_TYPE = "application/x-npz"


@dataclass(frozen=True)
class TableProfile:
    """One table's stored profile, with its sample read on demand."""

    name: str
    doc: dict[str, Any]
    read_sample: Callable[[], bytes] | None

    def columns(self) -> dict[str, dict[str, Any]]:
        """The column profiles by name."""
        return {c["name"]: c for c in self.doc["columns"]}

    def samples(self) -> dict[str, np.ndarray]:
        """The numerical samples by ``sample_key`` (empty when the run kept none)."""
        return {} if self.read_sample is None else load_sample(self.read_sample())


def frame_profile(frame: pd.DataFrame, name: str = "table") -> TableProfile:
    """The profile of a DataFrame in memory, as drift compares it (nothing is stored)."""
    doc, sample = profile_frame(frame, name)
    return TableProfile(name, doc, lambda: sample)


def log_profile(store: RunStore, run_id: str, frame: pd.DataFrame, name: str) -> dict[str, Any]:
    """Profile `frame` and store its profile and sample as artifacts of the run; returns the
    profile. Called by `Run.log_table` for every logged or displayed DataFrame."""
    doc, sample = profile_frame(frame, name)
    store_profile(store, run_id, doc, sample)
    return doc


def store_profile(store: RunStore, run_id: str, doc: dict[str, Any], sample: bytes) -> None:
    """Store a profile made by `profile_frame` (named by its ``name``) and its sample."""
    name = doc["name"]
    store.log_artifact(run_id, f"{name}{SAMPLE_SUFFIX}", sample, SAMPLE_MEDIA_TYPE)
    text = json.dumps(doc, allow_nan=False, default=str)
    store.log_artifact(run_id, f"{name}{PROFILE_SUFFIX}", text.encode(), PROFILE_MEDIA_TYPE)


def run_profiles(store: RunStore, run_id: str) -> dict[str, TableProfile]:
    """Every table profile a run holds, by table name, and those of its child runs (the
    ``%%track`` cells of an executed notebook) as ``CHILD_NAME/TABLE``; empty when none."""
    out = _own_profiles(store, run_id)
    for child in store.search_runs(parent_run_id=run_id, order_by="start_time", details=False):
        for name, profile in _own_profiles(store, child.run_id).items():
            out.setdefault(f"{child.name}/{name}", profile)
    return out


def _own_profiles(store: RunStore, run_id: str) -> dict[str, TableProfile]:
    record = store.get_run(run_id)
    samples = {
        a.name[: -len(SAMPLE_SUFFIX)]: a.sha256
        for a in record.artifacts
        if a.name.endswith(SAMPLE_SUFFIX)
    }
    out = {}
    for artifact in record.artifacts:
        if artifact.name.endswith(PROFILE_SUFFIX):
            name = artifact.name[: -len(PROFILE_SUFFIX)]
            doc = json.loads(store.read_artifact(artifact.sha256))
            sha = samples.get(name)
            read = None if sha is None else functools.partial(store.read_artifact, sha)
            out[name] = TableProfile(name, doc, read)
    return out
