"""Frozen records the store returns; field names are the JSON keys the server and panel use."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

#: "pruned": stopped early by an adaptive search (sweep --optuna --prune); no schema change
#: (the status column is free text of up to 16 characters)
RUN_STATUSES = ("running", "finished", "failed", "killed", "pruned")


@dataclass(frozen=True)
class ArtifactRecord:
    """One named file of a run, stored as a content-addressed blob."""

    name: str
    sha256: str
    size: int
    media_type: str
    created: float


@dataclass(frozen=True)
class MetricPoint:
    """One value of a metric at one step."""

    step: int
    value: float
    timestamp: float


@dataclass(frozen=True)
class ExperimentRecord:
    """A named group of runs."""

    experiment_id: int
    name: str
    created: float
    run_count: int = 0


@dataclass(frozen=True)
class RunRecord:
    """Everything recorded about one run; `params`/`metrics`/... are filled by `get_run`."""

    run_id: str
    experiment: str
    name: str
    status: str
    start_time: float
    end_time: float | None
    parent_run_id: str | None
    source_notebook: str | None
    cell_id: str | None
    pid: int | None
    host: str | None
    heartbeat: float | None
    updated_at: float
    error: str | None
    params: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    artifacts: tuple[ArtifactRecord, ...] = ()
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def duration(self) -> float | None:
        """Seconds from start to end (to the last heartbeat while running)."""
        end = self.end_time if self.end_time is not None else self.heartbeat
        return None if end is None else max(0.0, end - self.start_time)

    @property
    def inputs(self) -> list[dict[str, Any]]:
        """The run's input files (path, sha256, size, kind, schema, ...; tracking/inputs.py)."""
        return list(self.provenance.get("inputs") or [])

    def artifact(self, name: str) -> ArtifactRecord | None:
        """The artifact called `name`, if the run has one."""
        return next((a for a in self.artifacts if a.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the server's wire format for a run)."""
        data = dataclasses.asdict(self)
        data["duration"] = self.duration
        data["artifacts"] = [dataclasses.asdict(a) for a in self.artifacts]
        return data
