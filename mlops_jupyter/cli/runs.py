"""``mlops-jupyter runs ...`` and ``mlops-jupyter store ...``: look at and maintain the store."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from mlops_jupyter.cli import monitoring, notes
from mlops_jupyter.cli.lineage import register_runs
from mlops_jupyter.cli.output import print_json
from mlops_jupyter.formatting import fmt_duration, fmt_time, table

_MAX_EXTRA_COLUMNS = 8


def register(subparsers: Any) -> None:
    """Add the `runs` and `store` command groups."""
    runs = subparsers.add_parser("runs", help="list, show, compare and delete runs")
    sub = runs.add_subparsers(dest="runs_command", metavar="ACTION", required=True)
    ls = sub.add_parser("ls", help="list runs, newest first")
    ls.add_argument("--experiment", help="only runs of this experiment")
    ls.add_argument("--filter", help="e.g. \"metrics.acc > 0.9 and params.model == 'rf'\"")
    ls.add_argument("--sort", help="e.g. 'metrics.acc DESC' (default: newest first)")
    ls.add_argument(
        "--limit", type=_row_count, default=50, help="at most N runs (default 50; 0 = all)"
    )
    ls.add_argument("--format", choices=("table", "csv", "json"), default="table")
    ls.set_defaults(func=runs_ls)
    show = sub.add_parser("show", help="params, metrics, artifacts and provenance of one run")
    show.add_argument("run_id", help="run id or a unique prefix of it")
    show.add_argument("--format", choices=("text", "json"), default="text")
    show.set_defaults(func=_show)
    compare = sub.add_parser("compare", help="runs side by side, differences marked with *")
    compare.add_argument("run_ids", nargs="+", metavar="RUN_ID")
    compare.set_defaults(func=runs_compare)
    rm = sub.add_parser("rm", help="delete runs (their blobs go at the next `store gc`)")
    rm.add_argument("run_ids", nargs="+", metavar="RUN_ID")
    rm.set_defaults(func=_rm)
    register_runs(sub)  # `runs inputs`, `runs diff`: cli/lineage.py
    monitoring.register_runs(sub)  # runs drift
    notes.register_runs(sub)  # runs note: cli/notes.py

    store = subparsers.add_parser("store", help="store location, migration and clean-up")
    ssub = store.add_subparsers(dest="store_command", metavar="ACTION", required=True)
    ssub.add_parser("info", help="where the store is and what it holds").set_defaults(func=_info)
    migrate = ssub.add_parser("migrate", help="upgrade an older store's schema")
    migrate.add_argument(
        "--force",
        action="store_true",
        help="migrate even while runs of older processes are being recorded",
    )
    migrate.set_defaults(func=_migrate)
    gc = ssub.add_parser("gc", help="delete artifact blobs no run references")
    gc.add_argument("--dry-run", action="store_true", help="only count what would be removed")
    gc.add_argument(
        "--grace",
        type=_seconds,
        default=3600.0,
        metavar="AGE",
        help="keep unreferenced blobs younger than AGE: seconds, or 30m, 2h, 1d "
        "(default 1h; they may belong to an artifact being logged right now)",
    )
    gc.set_defaults(func=_gc)


def _row_count(text: str) -> int:
    """An argparse type: a whole number from 0 to 2^63-1, refused with one line otherwise."""
    from mlops_jupyter.store.limits import ROW_COUNT_MAX

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 0 <= value <= ROW_COUNT_MAX:
        raise argparse.ArgumentTypeError(
            f"{text} is out of range; give a number from 0 (all runs) to {ROW_COUNT_MAX}"
        )
    return value


def _store(args: argparse.Namespace, migrate: bool = False) -> Any:
    from mlops_jupyter.store import RunStore, open_store
    from mlops_jupyter.tracking.context import replay_spool

    if migrate:
        return RunStore(args.store, migrate=True, force=getattr(args, "force", False))
    store = open_store(args.store)
    replay_spool(store)  # metrics spooled while the store was away are listed too
    return store


def runs_ls(args: argparse.Namespace) -> int:
    """`runs ls`: the runs as a table, CSV or JSON (also shown by `demo`)."""
    frame = _store(args).runs_frame(
        filter=args.filter, order_by=args.sort, limit=args.limit or None, experiment=args.experiment
    )
    if args.format == "csv":
        frame.to_csv(sys.stdout, index=False)
    elif args.format == "json":
        print(frame.to_json(orient="records", indent=2))
    elif frame.empty:
        print(
            "no runs"
            + (
                " match"
                if args.filter
                else " yet: record one with mlops_jupyter.start_run() or %%track"
            )
        )
    else:
        extra = [c for c in frame.columns if c.startswith(("params.", "metrics."))]
        if len(extra) > _MAX_EXTRA_COLUMNS:
            print(
                f"(showing {_MAX_EXTRA_COLUMNS} of {len(extra)} param/metric columns; "
                "--format csv or json has them all)"
            )
            extra = extra[:_MAX_EXTRA_COLUMNS]
        headers = ["run_id", "name", "status", "experiment", "start", "duration", *extra]
        rows = [
            [
                r["run_id"][:8],
                r["name"],
                r["status"],
                r["experiment"],
                fmt_time(r["start_time"]),
                fmt_duration(r["duration"]),
                *(r[c] for c in extra),
            ]
            for _, r in frame.iterrows()
        ]
        print(table(headers, rows))
    return 0


def _show(args: argparse.Namespace) -> int:
    record = _store(args).get_run(args.run_id)
    if args.format == "json":
        print_json(record.to_dict())
        return 0
    print(f"run {record.run_id}  {record.name!r}  [{record.status}]")
    print(
        f"  experiment {record.experiment}   started {fmt_time(record.start_time)}   "
        f"duration {fmt_duration(record.duration)}"
    )
    if record.parent_run_id:
        print(f"  parent {record.parent_run_id}")
    if record.source_notebook:
        print(
            f"  notebook {record.source_notebook}"
            + (f"  cell {record.cell_id}" if record.cell_id else "")
        )
    from mlops_jupyter.tracking.notes import NOTE_TAG  # lazily: `--help` stays fast

    note = record.tags.get(NOTE_TAG, "")
    if note.strip():  # a multi-line note reads as text, not as a table cell
        print("\nnote:\n" + "\n".join(f"  {line}" for line in note.rstrip().splitlines()))
    for title, values in (
        ("params", record.params),
        ("metrics", record.metrics),
        ("tags", {k: v for k, v in record.tags.items() if k != NOTE_TAG}),
    ):
        if values:
            print(f"\n{title}:")
            print(table(["key", "value"], sorted(values.items())))
    if record.artifacts:
        print("\nartifacts:")
        print(
            table(
                ["name", "size", "media_type", "sha256"],
                [(a.name, a.size, a.media_type, a.sha256[:16]) for a in record.artifacts],
            )
        )
    _print_provenance(record.provenance)
    if record.error:
        print("\nerror:\n" + record.error.rstrip())
    return 0


def _print_provenance(prov: dict[str, Any]) -> None:
    if not prov:
        return
    print("\nprovenance:")
    git = prov.get("git") or {}
    if git.get("available"):
        print(
            f"  git {git.get('commit') or '-'} on {git.get('branch') or '-'}"
            + ("  (dirty)" if git.get("dirty") else "")
        )
    if "python" in prov:
        print(
            f"  python {prov['python'].get('version')}  ({len(prov.get('packages', {}))} packages)"
        )
    if "host" in prov:
        host = prov["host"]
        print(f"  host {host.get('hostname')}  {host.get('os')}  cpus={host.get('cpu_count')}")
    if prov.get("seeds"):
        print("  seeds " + ", ".join(f"{k}={v}" for k, v in prov["seeds"].items()))
    for item in prov.get("inputs", []):
        sha = (item.get("sha256") or "stat only")[:16]
        print(f"  input {item.get('name')}  sha256={sha}  {item.get('size')} bytes")
    cell = prov.get("cell")
    if cell and cell.get("hidden_state"):
        print(f"  HIDDEN STATE: {cell.get('hidden_state_reason')}")


def runs_compare(args: argparse.Namespace) -> int:
    """`runs compare`: runs side by side, differing fields marked with * (also shown by `demo`)."""
    from mlops_jupyter.tracking.compare import compare_runs

    store = _store(args)
    comparison = compare_runs([store.get_run(r) for r in args.run_ids])
    rows = [["*" if f.differs else "", f.label, *f.texts] for f in comparison.fields]
    print(table(["", "field", *(r.run_id[:8] for r in comparison.runs)], rows))
    return 0


def _rm(args: argparse.Namespace) -> int:
    store = _store(args)
    for run_id in args.run_ids:
        print(f"deleted run {store.delete_run(run_id)}")
    return 0


def _info(args: argparse.Namespace) -> int:
    info = _store(args).info()
    width = max(len(k) for k in info)
    for key, value in info.items():
        print(f"{key.ljust(width)}  {'-' if value is None else value}")
    return 0


def _migrate(args: argparse.Namespace) -> int:
    from mlops_jupyter.store.schema import SCHEMA_VERSION

    store = _store(args, migrate=True)
    print(
        f"store {store.location} is at schema version {store.schema_version()} "
        f"(current: {SCHEMA_VERSION})"
    )
    return 0


def _seconds(text: str) -> float:
    """An age for --grace: plain seconds or a number with s, m, h or d."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    scale = units.get(text[-1:].lower(), 1)
    try:
        value = float(text[:-1] if text[-1:].lower() in units else text) * scale
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an age; give seconds (3600) or 30m, 2h, 1d (0 for no grace)"
        )
    return value


def _gc(args: argparse.Namespace) -> int:
    result = _store(args).gc(dry_run=args.dry_run, grace_seconds=args.grace)
    verb = "would remove" if args.dry_run else "removed"
    print(f"{verb} {result.get('trashed_runs', 0)} runs from the trash")
    print(
        f"{verb} {result['removed']} unreferenced blobs ({result['bytes']} bytes) and "
        f"{result['partial']} partial blobs of interrupted writes "
        f"({result['partial_bytes']} bytes); {result['kept']} referenced blobs kept"
    )
    if result["young"]:
        print(
            f"kept {result['young']} unreferenced blobs younger than "
            f"{fmt_duration(args.grace)} or being written now (--grace 0 removes the "
            "ones no write holds)"
        )
    return 0
