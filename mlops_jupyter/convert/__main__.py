"""`python -m mlops_jupyter.convert`: the conversion subcommands without the main CLI."""

from __future__ import annotations

import argparse
import sys

from mlops_jupyter.cli.convert import register
from mlops_jupyter.errors import MlopsJupyterError


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and run one of ``export script``, ``convert``, ``check``; return the exit
    code."""
    parser = argparse.ArgumentParser(prog="mlops-jupyter", description="Notebook conversion.")
    register(parser.add_subparsers(dest="command", metavar="COMMAND", required=True))
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except MlopsJupyterError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
