"""The model registry's rows: models, numbered versions, tags, aliases and the alias audit trail."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from mlops_jupyter.errors import ModelNotFoundError
from mlops_jupyter.store import schema
from mlops_jupyter.store.connection import StoreConnection
from mlops_jupyter.store.model_records import (
    AliasEventRecord,
    ModelVersionRecord,
    RegisteredModelRecord,
)

_M, _V, _T = schema.registered_models, schema.model_versions, schema.model_tags
_A, _E = schema.model_aliases, schema.model_alias_events


class ModelRegistryRows(StoreConnection):
    """The registry's writes and reads, each one transaction; `RunStore` inherits them.

    Version numbers are allocated inside the inserting transaction (highest + 1); two writers
    racing for the same number make one insert fail on the primary key, and it retries.
    """

    def create_model_version(
        self,
        name: str,
        run_id: str,
        model_path: str,
        source: str,
        *,
        created_by: str | None = None,
        description: str | None = None,
        tags: Mapping[str, Any] | None = None,
    ) -> ModelVersionRecord:
        """Register `run_id`'s model `model_path` as the next version of `name` (created)."""
        now = time.time()

        def write(conn: Connection) -> int:
            conn.execute(self._insert(_M, ["name"]), {"name": name, "created": now, "updated": now})
            conn.execute(update(_M).where(_M.c.name == name).values(updated=now))
            top = conn.execute(select(func.max(_V.c.version)).where(_V.c.name == name)).scalar()
            version = int(top or 0) + 1
            conn.execute(
                insert(_V).values(
                    name=name,
                    version=version,
                    run_id=run_id,
                    model_path=model_path,
                    source=source,
                    description=description,
                    created=now,
                    created_by=created_by,
                )
            )
            _write_tags(conn, name, version, tags or {})
            return version

        for attempt in range(20):
            try:
                version = self._write(write)
                break
            except IntegrityError:  # another writer took this number: take the next one
                if attempt == 19:
                    raise
                time.sleep(0.01 * (attempt + 1))
        return self.get_model_version(name, version)

    def set_model_tags(self, name: str, version: int, tags: Mapping[str, Any]) -> None:
        """Set tags on model `name` (version 0) or one of its versions."""
        self._require(name, version)
        self._write(lambda conn: _write_tags(conn, name, version, tags))

    def delete_model_tag(self, name: str, version: int, key: str) -> None:
        """Remove one tag (no error when it is not set)."""
        self._require(name, version)
        self._write(
            lambda conn: conn.execute(
                delete(_T).where(_T.c.name == name, _T.c.version == version, _T.c.key == key)
            )
        )

    def set_model_description(self, name: str, version: int, text: str | None) -> None:
        """The description of model `name` (version 0) or of one of its versions."""
        self._require(name, version)
        table = _M if version == 0 else _V
        cond = [table.c.name == name] + ([] if version == 0 else [_V.c.version == version])
        self._write(lambda conn: conn.execute(update(table).where(*cond).values(description=text)))

    def move_alias(
        self,
        name: str,
        alias: str,
        version: int | None,
        *,
        by_user: str | None,
        forced: bool = False,
        reason: str | None = None,
    ) -> AliasEventRecord:
        """Point `alias` at `version` (None deletes it) and record the move, in one transaction."""
        self._require(name, version or 0)
        now = time.time()

        def write(conn: Connection) -> AliasEventRecord:
            before = conn.execute(
                select(_A.c.version).where(_A.c.name == name, _A.c.alias == alias)
            ).scalar()
            conn.execute(delete(_A).where(_A.c.name == name, _A.c.alias == alias))
            if version is not None:
                conn.execute(
                    insert(_A).values(name=name, alias=alias, version=version, updated=now)
                )
            event = AliasEventRecord(name, alias, before, version, now, by_user, forced, reason)
            conn.execute(insert(_E).values(**{**event.__dict__, "forced": int(forced)}))
            conn.execute(update(_M).where(_M.c.name == name).values(updated=now))
            return event

        return self._write(write)

    # -- reads ------------------------------------------------------------------------------

    def _require(self, name: str, version: int) -> None:
        """Raise ModelNotFoundError unless model `name` (and `version`, when not 0) exists."""
        if version == 0:
            self.get_registered_model(name)
        else:
            self.get_model_version(name, version)

    def get_registered_model(self, name: str) -> RegisteredModelRecord:
        """One registered model."""
        found = self._read(lambda conn: _models(conn, name))
        if not found:
            raise ModelNotFoundError(f"no registered model {name!r}", self._model_names())
        return found[0]

    def list_registered_models(self) -> list[RegisteredModelRecord]:
        """Every registered model, by name."""
        return self._read(lambda conn: _models(conn, None))

    def get_model_version(self, name: str, version: int) -> ModelVersionRecord:
        """One version of a model."""
        found = self._read(
            lambda conn: _versions(conn, [_V.c.name == name, _V.c.version == version])
        )
        if not found:
            self.get_registered_model(name)  # names the missing model first
            raise ModelNotFoundError(f"model {name!r} has no version {version}", None)
        return found[0]

    def list_model_versions(self, name: str | None = None) -> list[ModelVersionRecord]:
        """The versions of one model (or of every model), newest first."""
        cond = [] if name is None else [_V.c.name == name]
        return self._read(lambda conn: _versions(conn, cond))

    def model_versions_of_run(self, run_id: str) -> list[ModelVersionRecord]:
        """The registered versions whose model a run logged."""
        return self._read(lambda conn: _versions(conn, [_V.c.run_id == run_id]))

    def alias_version(self, name: str, alias: str) -> int:
        """The version `alias` points at."""
        found = self._read(
            lambda conn: conn.execute(
                select(_A.c.version).where(_A.c.name == name, _A.c.alias == alias)
            ).scalar()
        )
        if found is None:
            model = self.get_registered_model(name)
            have = ", ".join(sorted(model.aliases)) or "none"
            raise ModelNotFoundError(
                f"model {name!r} has no alias {alias!r} (it has: {have})", None
            )
        return int(found)

    def alias_events(self, name: str | None = None) -> list[AliasEventRecord]:
        """The alias moves of one model (or all), oldest first: the audit trail."""
        stmt = select(_E).order_by(_E.c.event_id)
        if name is not None:
            stmt = stmt.where(_E.c.name == name)
        rows = self._read(lambda conn: conn.execute(stmt).mappings().all())
        return [
            AliasEventRecord(
                r["name"],
                r["alias"],
                r["from_version"],
                r["to_version"],
                r["at"],
                r["by_user"],
                bool(r["forced"]),
                r["reason"],
            )
            for r in rows
        ]

    def _model_names(self) -> list[str]:
        return self._read(
            lambda conn: list(conn.execute(select(_M.c.name).order_by(_M.c.name)).scalars())
        )


def _write_tags(conn: Connection, name: str, version: int, tags: Mapping[str, Any]) -> None:
    for key, value in tags.items():
        cond = (_T.c.name == name, _T.c.version == version, _T.c.key == str(key))
        conn.execute(delete(_T).where(*cond))
        conn.execute(insert(_T).values(name=name, version=version, key=str(key), value=str(value)))


def _tags(conn: Connection, name: str | None) -> dict[tuple[str, int], dict[str, str]]:
    stmt = select(_T.c.name, _T.c.version, _T.c.key, _T.c.value)
    if name is not None:
        stmt = stmt.where(_T.c.name == name)
    out: dict[tuple[str, int], dict[str, str]] = {}
    for n, v, k, val in conn.execute(stmt):
        out.setdefault((n, v), {})[k] = val
    return out


def _aliases(conn: Connection, name: str | None) -> dict[str, dict[str, int]]:
    stmt = select(_A.c.name, _A.c.alias, _A.c.version).order_by(_A.c.alias)
    if name is not None:
        stmt = stmt.where(_A.c.name == name)
    out: dict[str, dict[str, int]] = {}
    for n, alias, v in conn.execute(stmt):
        out.setdefault(n, {})[alias] = v
    return out


def _models(conn: Connection, name: str | None) -> list[RegisteredModelRecord]:
    latest = (
        select(_V.c.name, func.max(_V.c.version).label("latest")).group_by(_V.c.name).subquery()
    )
    stmt = (
        select(_M, latest.c.latest)
        .select_from(_M.outerjoin(latest, latest.c.name == _M.c.name))
        .order_by(_M.c.name)
    )
    if name is not None:
        stmt = stmt.where(_M.c.name == name)
    rows = conn.execute(stmt).mappings().all()
    tags, aliases = _tags(conn, name), _aliases(conn, name)
    return [
        RegisteredModelRecord(
            r["name"],
            r["description"],
            r["created"],
            r["updated"],
            r["latest"],
            tags.get((r["name"], 0), {}),
            aliases.get(r["name"], {}),
        )
        for r in rows
    ]


def _versions(conn: Connection, cond: list[Any]) -> list[ModelVersionRecord]:
    rows = (
        conn.execute(select(_V).where(*cond).order_by(_V.c.name, _V.c.version.desc()))
        .mappings()
        .all()
    )
    names = {r["name"] for r in rows}
    only = next(iter(names)) if len(names) == 1 else None
    tags, aliases = _tags(conn, only), _aliases(conn, only)
    return [
        ModelVersionRecord(
            r["name"],
            r["version"],
            r["run_id"],
            r["model_path"],
            r["source"],
            r["description"],
            r["created"],
            r["created_by"],
            tags.get((r["name"], r["version"]), {}),
            tuple(a for a, v in aliases.get(r["name"], {}).items() if v == r["version"]),
        )
        for r in rows
    ]
