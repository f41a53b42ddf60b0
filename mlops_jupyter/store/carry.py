"""Copying this process's running runs out of a deleted store file into its replacement."""

from __future__ import annotations

import os

from sqlalchemy import Connection, insert, select

from mlops_jupyter.store import schema


def copy_live_runs(src: Connection, dst: Connection, pid: int | None = None) -> list[str]:
    """Copy the runs `pid` (default: this process) is recording, with everything logged to
    them, from `src` (the old, deleted file, still readable through an open connection) to
    `dst`; returns their ids. Without this, their later metrics would land in the new file
    with no run row to belong to."""
    r, e = schema.runs, schema.experiments
    rows = src.execute(
        select(r, e.c.name.label("experiment_name"), e.c.created.label("experiment_created"))
        .join(e, e.c.experiment_id == r.c.experiment_id)
        .where(r.c.status == "running", r.c.pid == (pid or os.getpid()))
    ).all()
    ids = [row.run_id for row in rows]
    if not ids:
        return []
    taken = set(dst.execute(select(r.c.run_id).where(r.c.run_id.in_(ids))).scalars())
    experiment_ids: dict[str, int] = {}
    for row in rows:
        if row.run_id in taken:
            continue
        name = row.experiment_name
        if name not in experiment_ids:
            found = dst.execute(select(e.c.experiment_id).where(e.c.name == name)).scalar()
            if found is None:
                key = dst.execute(
                    insert(e).values(name=name, created=row.experiment_created)
                ).inserted_primary_key
                assert key is not None  # a single-row INSERT without RETURNING always has one
                found = key[0]
            experiment_ids[name] = found
        values = {c.name: getattr(row, c.name) for c in r.c}
        dst.execute(insert(r).values(**{**values, "experiment_id": experiment_ids[name]}))
    fresh = [i for i in ids if i not in taken]
    for table in schema.RUN_CHILD_TABLES:
        copied = [
            dict(m) for m in src.execute(select(table).where(table.c.run_id.in_(fresh))).mappings()
        ]
        if copied:
            dst.execute(insert(table), copied)
    pb, rp = schema.provenance_blobs, schema.run_provenance
    hashes = set(src.execute(select(rp.c.sha256).where(rp.c.run_id.in_(fresh))).scalars())
    have = set(dst.execute(select(pb.c.sha256).where(pb.c.sha256.in_(hashes))).scalars())
    blobs = [
        dict(m) for m in src.execute(select(pb).where(pb.c.sha256.in_(hashes - have))).mappings()
    ]
    if blobs:
        dst.execute(insert(pb), blobs)
    return fresh
