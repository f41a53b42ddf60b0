"""Frozen records of the model registry; field names are the JSON keys the server and panel use."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ModelVersionRecord:
    """One registered version of a model: the run artifact it points at."""

    name: str
    version: int
    run_id: str
    model_path: str
    source: str
    description: str | None
    created: float
    created_by: str | None
    tags: dict[str, str] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the server's wire format for a version)."""
        data = dataclasses.asdict(self)
        data["aliases"] = list(self.aliases)
        return data


@dataclass(frozen=True)
class RegisteredModelRecord:
    """A registered model name with its tags, aliases and newest version."""

    name: str
    description: str | None
    created: float
    updated: float
    latest_version: int | None
    tags: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the server's wire format for a model)."""
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class AliasEventRecord:
    """One move of an alias (the audit trail): None as a version means none (set or deleted)."""

    name: str
    alias: str
    from_version: int | None
    to_version: int | None
    at: float
    by_user: str | None
    forced: bool
    reason: str | None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return dataclasses.asdict(self)
