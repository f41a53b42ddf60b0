"""FACE cli: the `mlops-jupyter` command; each subcommand parses, calls one service, maps errors."""

from mlops_jupyter.cli.main import command, main

__all__ = ["command", "main"]
