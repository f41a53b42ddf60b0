"""The converter corpus (tests/data/notebooks/), its expectations, and running notebooks, scripts
and the `python -m mlops_jupyter.convert` command: `from tests.support.corpus import CORPUS`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

from tests.support import ROOT

CORPUS_DIR = ROOT / "tests" / "data" / "notebooks"
CORPUS = sorted(p.stem for p in CORPUS_DIR.glob("*.ipynb"))
_NOISE = re.compile(r"^(CPU times:.*|Wall time:.*|Note: you may need to restart the kernel.*)$")


def expected(name: str) -> dict:
    """The expectations stored next to a corpus notebook."""
    return yaml.safe_load((CORPUS_DIR / f"{name}.yaml").read_text(encoding="utf-8"))


def normalize(text: str) -> str:
    """Drop lines that legitimately differ between runs (timings, pip notes)."""
    return "\n".join(line for line in text.splitlines() if not _NOISE.match(line.strip()))


def env_with_path(*paths: Path) -> dict[str, str]:
    """The environment with PYTHONPATH set to ``paths`` (and MPLBACKEND=Agg)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(str(p) for p in paths)
    env["MPLBACKEND"] = "Agg"
    return env


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m mlops_jupyter.convert ARGS``."""
    return subprocess.run(
        [sys.executable, "-m", "mlops_jupyter.convert", *args],
        cwd=cwd,
        env=env_with_path(ROOT),
        capture_output=True,
        text=True,
        timeout=300,
    )


def execute_notebook(path: Path, cwd: Path) -> tuple[str, str | None]:
    """Execute a notebook top to bottom without its skip/test cells (as the script runs it).

    Returns:
        The stdout text of all cells, and the name of the exception raised (None if none).
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    nb.cells = [c for c in nb.cells if not _skipped(c)]
    client = NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}
    )
    error = None
    try:
        client.execute()
    except CellExecutionError as err:
        error = err.ename
    text = "".join(
        o.get("text", "")
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "stream" and o.get("name") == "stdout"
    )
    return text, error


def _skipped(cell) -> bool:
    tags = set(cell.get("metadata", {}).get("tags", []))
    head = [ln.strip() for ln in cell.source.splitlines()[:3]]
    return bool(tags & {"skip", "test"}) or "#| skip" in head or "#| test" in head
