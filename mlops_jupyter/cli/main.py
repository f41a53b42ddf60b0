"""The ``mlops-jupyter`` command: argument parsing only; the work is done by library calls."""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Callable, Sequence

from mlops_jupyter.cli import convert, execution, models, monitoring, runs
from mlops_jupyter.errors import MlopsJupyterError
from mlops_jupyter.version import __version__


def build_parser() -> argparse.ArgumentParser:
    """The full parser, with every available subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="mlops-jupyter", description="Track, compare, reproduce and ship Jupyter experiments."
    )
    parser.add_argument(
        "--store",
        help="store path or URL (default: MLOPS_JUPYTER_STORE, else <project root>/.mlops/runs.db)",
    )
    parser.add_argument("--version", action="version", version=f"mlops-jupyter {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = subparsers.add_parser("demo", help="record a few real runs and show them")
    demo.add_argument("--quick", action="store_true", help="skip executing example notebooks")
    demo.set_defaults(func=_demo)
    for module in (runs, execution, convert, models, monitoring):
        module.register(subparsers)
    return parser


def _demo(args: argparse.Namespace) -> int:
    from mlops_jupyter.cli.demo import run_demo

    return run_demo(store=args.store, quick=args.quick)


def command() -> int:
    """The console entry point: `main`, then a quick exit.

    Freezing the heap first makes the interpreter's last garbage collections skip what the
    command imported (about 1,200 modules after a sweep: 0.1-0.2 s of a run's wall time, the
    same as the exit of a sweep's last point); atexit handlers still run. Not done by `main`,
    which tests and other programs call in a process that goes on.
    """
    code = main()
    gc.freeze()
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code (0 ok, 1 a negative verdict, 2 an error)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] | None = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        return func(args) or 0
    except MlopsJupyterError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
