"""``mlops-jupyter runs inputs`` and ``runs diff``: a run's data lineage, why two runs differ."""

from __future__ import annotations

import argparse
from typing import Any

from mlops_jupyter.cli.output import print_json
from mlops_jupyter.formatting import table


def register_runs(sub: Any) -> None:
    """Add `inputs` and `diff` to the `runs` command group (`sub` is its sub-parsers)."""
    inputs = sub.add_parser(
        "inputs", help="the input files of a run (and its child runs); restore their snapshots"
    )
    inputs.add_argument("run_id", help="run id or a unique prefix of it")
    inputs.add_argument(
        "--restore", metavar="DIR", help="write the snapshotted inputs under DIR at their paths"
    )
    inputs.add_argument(
        "--force", action="store_true", help="with --restore: replace files that differ"
    )
    inputs.add_argument("--format", choices=("text", "json"), default="text")
    inputs.set_defaults(func=runs_inputs)
    diff = sub.add_parser(
        "diff",
        help="why two runs differ: params, metrics, code, inputs, packages, ... "
        "(exit 0 when nothing differs, 1 otherwise)",
    )
    diff.add_argument("run_a", metavar="A", help="run id or a unique prefix of it")
    diff.add_argument("run_b", metavar="B", help="run id or a unique prefix of it")
    diff.add_argument("--format", choices=("text", "json"), default="text")
    diff.set_defaults(func=runs_diff)


def _store(args: argparse.Namespace) -> Any:
    from mlops_jupyter.store import open_store

    return open_store(args.store)


def runs_inputs(args: argparse.Namespace) -> int:
    """`runs inputs RUN [--restore DIR]`: list the inputs; bring the snapshotted ones back."""
    from mlops_jupyter.tracking.inputs import inputs_with_children, restore_inputs

    store = _store(args)
    record = store.get_run(args.run_id)
    entries = inputs_with_children(store, record)
    where: dict[int, Any] = {}
    if args.restore:
        where = {id(e): t for e, t in restore_inputs(store, entries, args.restore, args.force)}
    if args.format == "json":
        print_json(
            {
                "run_id": record.run_id,
                "inputs": [
                    {**e, **({"restored_to": str(where[id(e)])} if where.get(id(e)) else {})}
                    for e in entries
                ],
            }
        )
        return 0
    if not entries:
        print(f"run {record.run_id[:8]} has no recorded inputs")
        return 0
    rows = [
        [
            e.get("path"),
            e.get("kind"),
            e.get("size"),
            (e.get("sha256") or "-")[:16],
            "yes" if e.get("snapshot") else "-",
            e.get("note") or _schema_text(e.get("schema")),
        ]
        for e in entries
    ]
    print(table(["path", "kind", "size", "sha256", "snapshot", "schema / note"], rows))
    if args.restore:
        restored = [t for t in where.values() if t is not None]
        print(f"restored {len(restored)} of {len(entries)} input(s) under {args.restore}")
        missing = [str(e.get("path")) for e in entries if where.get(id(e)) is None]
        if missing:
            print("not snapshotted (log them with snapshot=True): " + ", ".join(missing))
    return 0


def _schema_text(schema: Any) -> str:
    if not schema or not schema.get("columns"):
        return ""
    columns = ", ".join(f"{k}:{v}" for k, v in list(schema["columns"].items())[:6])
    more = " ..." if len(schema["columns"]) > 6 else ""
    rows = f" ({schema['rows']} rows)" if schema.get("rows") is not None else ""
    return columns + more + rows


def runs_diff(args: argparse.Namespace) -> int:
    """`runs diff A B`: one list of what differs; exit 0 when nothing does, 1 otherwise."""
    from mlops_jupyter.tracking.diff import diff_runs, diff_text

    store = _store(args)
    a, b = store.get_run(args.run_a), store.get_run(args.run_b)
    differences = diff_runs(a, b, store.read_artifact)
    if args.format == "json":
        print_json(
            {"a": a.run_id, "b": b.run_id, "differences": [d.to_dict() for d in differences]}
        )
    else:
        print(diff_text(differences, a, b))
    return 1 if differences else 0
