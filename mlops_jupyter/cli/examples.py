"""Run the notebooks of example-notebooks/ (for ``mlops-jupyter demo`` and the tests)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from mlops_jupyter import env
from mlops_jupyter.store import RunStore

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "example-notebooks"


def example_notebooks() -> list[Path]:
    """The example notebooks of a source checkout (none in a wheel install)."""
    return sorted(EXAMPLES_DIR.glob("*.ipynb")) if EXAMPLES_DIR.is_dir() else []


def execute_example(path: Path, store_url: str, workdir: Path) -> Path:
    """Execute a copy of `path` in a fresh kernel recording into `store_url`; returns the copy.

    The source notebook is never modified; the executed copy (with outputs) is in `workdir`.
    """
    import nbformat
    from nbclient import NotebookClient

    copy = workdir / path.name
    shutil.copyfile(path, copy)
    nb = nbformat.read(copy, as_version=4)
    saved = {k: os.environ.get(k) for k in (env.STORE, env.NOTEBOOK)}
    os.environ.update({env.STORE: store_url, env.NOTEBOOK: str(copy)})
    try:
        NotebookClient(
            nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(workdir)}}
        ).execute(stderr=subprocess.DEVNULL)  # the kernel's start-up chatter
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    nbformat.write(nb, copy)
    return copy


def run_examples(store: RunStore) -> list[str]:
    """Execute every example notebook into `store`; returns the ids of the runs they made."""
    notebooks = example_notebooks()
    if not notebooks:
        print("  (no example-notebooks/ folder here: skipped the notebook examples)")
        return []
    before = {r.run_id for r in store.search_runs(details=False)}
    with tempfile.TemporaryDirectory(prefix="mlops-examples-") as tmp:
        for path in notebooks:
            print(f"  executing {path.name} ...", flush=True)
            execute_example(path, store.url, Path(tmp))
    made = [r for r in store.search_runs(order_by="start_time") if r.run_id not in before]
    for run in made:
        shown = ", ".join(f"{k}={v:.3g}" for k, v in sorted(run.metrics.items())[:3])
        print(f"  run {run.run_id[:8]}  {run.name}  {shown}")
    return [r.run_id for r in made]
