"""The `export script|module`, `convert` and `check` subcommands of the `mlops-jupyter` CLI."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``export``, ``convert`` and ``check`` to the top-level parser's subcommands.

    Args:
        subparsers: The object returned by the top-level parser's ``add_subparsers()``.
    """
    export = subparsers.add_parser("export", help="export a notebook as code")
    formats = export.add_subparsers(dest="format", metavar="FORMAT", required=True)
    script = formats.add_parser("script", help="a runnable script with main(**params) and a CLI")
    script.add_argument("notebook", help="the .ipynb file")
    script.add_argument(
        "-o",
        "--output",
        help="output file ('-' for stdout; default: the notebook's name with .py, next to it)",
    )
    script.add_argument(
        "--force",
        action="store_true",
        help="overwrite an output file that mlops-jupyter did not write",
    )
    script.set_defaults(func=_export_script)
    module = formats.add_parser(
        "module", help="an nbdev notebook's `#| export` cells as the module `#| default_exp` names"
    )
    module.add_argument("notebook", help="the .ipynb file")
    module.add_argument("-o", "--output", default=".", help="the library folder (default: .)")
    module.set_defaults(func=_export_module)
    _register_pipeline_exports(formats)

    convert = subparsers.add_parser(
        "convert", help="convert a notebook into a package of step functions, a pipeline and tests"
    )
    convert.add_argument("notebook", help="the .ipynb file")
    convert.add_argument("-o", "--output", required=True, help="package directory to create")
    convert.add_argument(
        "--force",
        action="store_true",
        help="(not needed) a package mlops-jupyter wrote is replaced; a folder "
        "it did not write never is",
    )
    convert.add_argument(
        "--timeout",
        type=int,
        default=600,
        help="seconds allowed per cell while capturing expected values",
    )
    convert.add_argument("--kernel", default="python3", help="kernel used to capture (python3)")
    convert.add_argument(
        "--no-verify",
        dest="verify",
        action="store_false",
        help="write the package without running its generated tests first",
    )
    convert.add_argument(
        "--single-step",
        action="store_true",
        help="without step tags or headings, keep one function instead of splitting the "
        "notebook where its dataflow allows",
    )
    convert.add_argument(
        "--ci",
        choices=("github",),
        help="also write .github/workflows/ci.yml and ct.yml at the root of the output's folder",
    )
    convert.add_argument(
        "--ci-metric", default="accuracy", help="the metric ct.yml gates (default accuracy)"
    )
    convert.add_argument(
        "--ci-max-drop", type=float, default=0.01, help="how far ct.yml lets it drop (0.01)"
    )
    convert.add_argument(
        "--check-sync",
        action="store_true",
        help="convert nothing: exit 1 when the notebook changed since the package was converted",
    )
    convert.set_defaults(func=_convert)

    check = subparsers.add_parser(
        "check", help="pre-flight report: what would not convert faithfully"
    )
    check.add_argument("notebook", help="the .ipynb file")
    check.add_argument("--json", action="store_true", help="print the report as JSON")
    check.set_defaults(func=_check)


def _register_pipeline_exports(
    formats: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    """``export dvc`` and ``export airflow``: the package plus a pipeline for those tools."""
    for name, help_text in (
        ("dvc", "the package plus dvc.yaml (a stage per step) and params.yaml"),
        ("airflow", "the package plus an Airflow DAG (a TaskFlow task per step)"),
    ):
        sub = formats.add_parser(name, help=help_text)
        sub.add_argument("notebook", help="the .ipynb file")
        sub.add_argument("-o", "--output", required=True, help="the folder to write into")
        sub.add_argument("--package", help="the package's name (default: the notebook's name)")
        sub.add_argument(
            "--timeout", type=int, default=600, help="seconds allowed per cell while capturing"
        )
        sub.add_argument("--kernel", default="python3", help="kernel used to capture (python3)")
        sub.add_argument(
            "--no-verify",
            dest="verify",
            action="store_false",
            help="write the export without running the package's generated tests first",
        )
        sub.set_defaults(func=_export_pipeline, tool=name)


def _export_pipeline(args: argparse.Namespace) -> int:
    from mlops_jupyter.convert.export_airflow import export_airflow
    from mlops_jupyter.convert.export_dvc import export_dvc

    result = (export_dvc if args.tool == "dvc" else export_airflow)(
        args.notebook,
        args.output,
        package=args.package,
        timeout=args.timeout,
        kernel_name=args.kernel,
        verify=args.verify,
    )
    print(
        f"wrote {', '.join(result.files)} and the package {result.package}/ in "
        f"{result.directory} ({len(result.stages)} steps); see {result.directory / 'README.md'}",
        file=sys.stderr,
    )
    return 0


def _export_script(args: argparse.Namespace) -> int:
    from mlops_jupyter.convert.script import export_script

    if args.output == "-":
        sys.stdout.write(export_script(args.notebook))
        return 0
    output = args.output or str(Path(args.notebook).with_suffix(".py"))
    export_script(args.notebook, output, overwrite=args.force)
    print(f"wrote {output}", file=sys.stderr)
    return 0


def _export_module(args: argparse.Namespace) -> int:
    from mlops_jupyter.convert.nbdev import export_module

    print(f"wrote {export_module(args.notebook, args.output)}", file=sys.stderr)
    return 0


def _convert(args: argparse.Namespace) -> int:
    from mlops_jupyter.convert.ci import sync_problem, write_github_workflows
    from mlops_jupyter.convert.pipeline import convert_notebook

    def progress(k: int, n: int, index: int) -> None:
        print(f"capturing: cell {k} of {n} (notebook cell {index})", file=sys.stderr, flush=True)

    if args.check_sync:
        problem = sync_problem(args.notebook, Path(args.output))
        print(f"out of sync: {problem}" if problem else f"{args.output} is in sync")
        return 1 if problem else 0
    result = convert_notebook(
        args.notebook,
        args.output,
        overwrite=args.force,
        timeout=args.timeout,
        kernel_name=args.kernel,
        verify=args.verify,
        progress=progress,
        single_step=args.single_step,
    )
    for finding in result.warnings:
        print(f"warning: [{finding.code}] {finding.message}", file=sys.stderr)
    print(
        f"wrote package {result.package} ({len(result.steps)} steps: "
        f"{', '.join(result.steps) or 'none'}); test it with: "
        f"PYTHONPATH={result.path.parent} python -m pytest {result.path / 'tests'}",
        file=sys.stderr,
    )
    if args.ci == "github":
        for path in write_github_workflows(
            args.notebook, result.path, args.ci_metric, args.ci_max_drop
        ):
            print(f"wrote {path}", file=sys.stderr)
    return 0


def _check(args: argparse.Namespace) -> int:
    from mlops_jupyter.convert.check import check_notebook

    report = check_notebook(args.notebook)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(report.format())
    return 0 if report.ok else 1
