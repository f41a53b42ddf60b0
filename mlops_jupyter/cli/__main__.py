"""`python -m mlops_jupyter.cli`: the same as the `mlops-jupyter` command."""

import sys

from mlops_jupyter.cli.main import command

sys.exit(command())
