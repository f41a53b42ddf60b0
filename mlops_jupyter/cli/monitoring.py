"""``mlops-jupyter runs drift``, ``check-metrics`` and ``report``: monitoring from the shell."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from mlops_jupyter.cli.output import print_json
from mlops_jupyter.formatting import fmt_value, table

_METHODS = ("ks", "wasserstein", "chisquare", "z", "jensenshannon", "psi")


def register(subparsers: Any) -> None:
    """Add `check-metrics` and `report` (`runs drift` is added to `runs` by register_runs)."""
    gate = subparsers.add_parser(
        "check-metrics", help="exit 0 when a run's metric passes its gate, 1 (with why) if not"
    )
    gate.add_argument("run_id", metavar="RUN", help="run id or a unique prefix of it")
    gate.add_argument("--metric", required=True, help="the metric to check (its latest value)")
    gate.add_argument("--baseline", help="run id or models:/NAME@ALIAS to compare with")
    gate.add_argument("--max-drop", type=float, help="fail if it is more than X below baseline")
    gate.add_argument("--max-rise", type=float, help="fail if it is more than X above baseline")
    gate.add_argument("--min", type=float, help="fail if it is below V")
    gate.add_argument("--max", type=float, help="fail if it is above V")
    gate.add_argument(
        "--no-record", action="store_true", help="do not tag the run with the verdict"
    )
    gate.add_argument(
        "--promote",
        action="store_true",
        help="with --baseline models:/NAME@ALIAS: move the alias to RUN when it passes "
        "(or when no run holds it yet)",
    )
    gate.add_argument("--format", choices=("text", "json"), default="text")
    gate.set_defaults(func=_check_metrics)

    report = subparsers.add_parser(
        "report", help="one page: params, metrics against a baseline, drift, figures"
    )
    report.add_argument("run_id", metavar="RUN", help="run id or a unique prefix of it")
    report.add_argument("--baseline", help="run id or models:/NAME@ALIAS to compare with")
    kind = report.add_mutually_exclusive_group(required=True)
    kind.add_argument("--md", action="store_true", help="Markdown (e.g. a CI job summary)")
    kind.add_argument("--html", action="store_true", help="one self-contained HTML page")
    report.add_argument("-o", "--output", type=Path, help="write to this file (default stdout)")
    report.set_defaults(func=_report)


def register_runs(sub: Any) -> None:
    """Add `runs drift` to the `runs` command group."""
    drift = sub.add_parser(
        "drift", help="per-column data drift and schema changes against a baseline run"
    )
    drift.add_argument("run_id", metavar="RUN", help="run id or a unique prefix of it")
    drift.add_argument(
        "--baseline", required=True, help="run id or models:/NAME@ALIAS to compare with"
    )
    drift.add_argument(
        "--method",
        choices=_METHODS,
        help="one test for every column it applies to "
        "(default: Evidently's choice by column kind and size)",
    )
    drift.add_argument("--threshold", type=float, help="the test's threshold (default: its own)")
    drift.add_argument(
        "--fail-on-drift", action="store_true", help="exit 1 when any column drifted"
    )
    drift.add_argument("--format", choices=("text", "json"), default="text")
    drift.set_defaults(func=_drift)


def _store(args: argparse.Namespace) -> Any:
    from mlops_jupyter.store import open_store
    from mlops_jupyter.tracking.context import replay_spool

    store = open_store(args.store)
    replay_spool(store)
    return store


def _drift(args: argparse.Namespace) -> int:
    from mlops_jupyter.monitoring.drift import drift_report

    report = drift_report(_store(args), args.run_id, args.baseline, args.method, args.threshold)
    drifted = any(c["drifted"] for c in report["columns"])
    if args.format == "json":
        print_json(report)
        return 1 if drifted and args.fail_on_drift else 0
    print(f"run {report['run_id'][:8]} against baseline {report['baseline_run_id'][:8]}")
    for t in report["tables"]:
        verdict = "DATASET DRIFT" if t["dataset_drift"] else "no dataset drift"
        print(f"  {t['table']}: {t['drifted']} of {t['tested']} columns drifted ({verdict})")
    if report["columns"]:
        rows = [
            [
                c["table"],
                c["column"],
                c["kind"],
                c["method"],
                f"{c['statistic']:.4g}",
                fmt_value(c["threshold"]),
                "DRIFT" if c["drifted"] else "ok",
            ]
            for c in report["columns"]
        ]
        print(table(["table", "column", "kind", "method", "statistic", "threshold", ""], rows))
    for s in report["schema"]:
        where = f"{s['table']}.{s['column']}" if s["column"] else s["table"]
        types = f" ({s['baseline'] or '-'} -> {s['current'] or '-'})" if s["column"] else ""
        print(f"schema: {where}: {s['change']}{types}")
    for s in report["skipped"]:
        print(f"skipped: {s['table']}.{s['column']}: {s['reason']}")
    return 1 if drifted and args.fail_on_drift else 0


def _check_metrics(args: argparse.Namespace) -> int:
    from mlops_jupyter.monitoring.gates import check_metrics

    result = check_metrics(
        args.run_id,
        args.metric,
        baseline=args.baseline,
        max_drop=args.max_drop,
        max_rise=args.max_rise,
        min=args.min,
        max=args.max,
        record=not args.no_record,
        promote=args.promote,
        store=_store(args),
    )
    promoted = _promote(args, result.run_id) if args.promote and result.passed else None
    if args.format == "json":
        print_json({**result.to_dict(), "promoted_version": promoted})
    else:
        print(("passed: " if result.passed else "failed: ") + result.reason)
    return 0 if result.passed else 1


def _promote(args: argparse.Namespace, run_id: str) -> int | None:
    """Move the registry's alias too, through the models' promotion gate, when the run (or a
    child) logged a model: register it as the next version, then set the alias."""
    from mlops_jupyter.models.promotion import promote_run_model
    from mlops_jupyter.monitoring.aliases import parse_model_ref

    name, alias = parse_model_ref(args.baseline)
    version = promote_run_model(run_id, name, alias, store=_store(args))
    if version is None:
        return None
    print(f"promoted models:/{name}@{alias} to version {version.version}", file=sys.stderr)
    return version.version


def _report(args: argparse.Namespace) -> int:
    from mlops_jupyter.monitoring.report import render_html, render_markdown

    render = render_markdown if args.md else render_html
    text = render(_store(args), args.run_id, args.baseline)
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text, encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    return 0
