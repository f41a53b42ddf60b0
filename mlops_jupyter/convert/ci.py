"""``convert ... --ci github``: the GitHub Actions workflows of a converted package, and the sync
check that fails when the notebook changed but the package was not converted again.

`ci.yml` installs, checks the package is in sync with the notebook, runs ``mlops-jupyter
check`` and the package's tests; `ct.yml` (on a schedule and on demand) runs the converted
package as a tracked run (``python -m PKG --track --register PKG``: recorded like the notebook's
run, models/pipeline_run.py), gates its metric against ``models:/PKG@champion`` (promoting it
when it passes) and writes ``mlops-jupyter report`` to the job summary. Both are written at the
root of the folder holding the package (the repository), with paths relative to it.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import yaml

from mlops_jupyter.errors import NotebookError
from mlops_jupyter.notebook.read import read_notebook

SYNC_FILE = ".mlops-jupyter-sync.json"
PYTHON_VERSION = "3.11"
_INSTALL = (
    'python -m pip install "mlops-jupyter[monitoring]" pytest\n'
    "if [ -f requirements.txt ]; then python -m pip install -r requirements.txt; fi\n"
)


def notebook_code_sha256(notebook: str | os.PathLike[str]) -> str:
    """A hash of what conversion reads: each cell's type, source and tags (not outputs, ids or
    execution counts, so running the notebook again does not count as a change)."""
    nb = read_notebook(notebook)
    cells = [
        [c["cell_type"], c["source"], sorted(c["metadata"].get("tags", []))] for c in nb["cells"]
    ]
    return hashlib.sha256(json.dumps(cells, sort_keys=True).encode()).hexdigest()


def write_sync_record(notebook: str | os.PathLike[str], package: Path) -> Path:
    """Record in the package which notebook code it was converted from."""
    path = package / SYNC_FILE
    record = {"notebook": Path(notebook).name, "code_sha256": notebook_code_sha256(notebook)}
    path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return path


def sync_problem(notebook: str | os.PathLike[str], package: Path) -> str | None:
    """Why the package is out of sync with the notebook, or None when it is in sync."""
    command = f"mlops-jupyter convert {notebook} -o {package} --ci github"
    try:
        record = json.loads((package / SYNC_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return f"{package} holds no sync record ({SYNC_FILE}); convert it with: {command}"
    if record.get("code_sha256") != notebook_code_sha256(notebook):
        return (
            f"{notebook} changed since {package} was converted from it; "
            f"convert it again with: {command}"
        )
    return None


def write_github_workflows(
    notebook: str | os.PathLike[str],
    package: Path,
    metric: str = "accuracy",
    max_drop: float = 0.01,
) -> list[Path]:
    """Write ``.github/workflows/ci.yml`` and ``ct.yml`` in the package's parent folder (and
    the package's sync record); returns the paths written.

    Raises:
        NotebookError: the notebook is not inside that folder (the workflows could not reach it).
    """
    root = package.absolute().parent
    nb_path = Path(notebook).absolute()
    if not nb_path.is_relative_to(root):
        raise NotebookError(
            f"{notebook} is outside {root}: --ci github writes workflows at the root of the "
            "repository holding both; put the notebook and the package in one folder"
        )
    nb_rel = nb_path.relative_to(root).as_posix()
    nb_dir = nb_path.parent.relative_to(root).as_posix()
    write_sync_record(nb_path, package)
    paths = {"ci.yml": _ci(nb_rel, nb_dir, package.name), "ct.yml": None}
    paths["ct.yml"] = _ct(nb_rel, nb_dir, package.name, metric, max_drop)
    folder = root / ".github" / "workflows"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, doc in paths.items():
        text = f"# written by mlops-jupyter convert --ci github from {nb_rel}\n"
        text += yaml.dump(doc, Dumper=_Dumper, sort_keys=False, width=1000)
        (folder / name).write_text(text, encoding="utf-8")
        written.append(folder / name)
    return written


class _Dumper(yaml.SafeDumper):
    """Safe YAML with multi-line strings (the steps' scripts) as literal blocks."""


def _literal(dumper: yaml.SafeDumper, text: str) -> yaml.Node:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _literal)


def _setup() -> list[dict[str, object]]:
    return [
        {"uses": "actions/checkout@v4"},
        {"uses": "actions/setup-python@v5", "with": {"python-version": PYTHON_VERSION}},
        {"name": "Install", "id": "install", "run": _INSTALL},
    ]


def _sync_step(nb_rel: str, package: str) -> dict[str, object]:
    """Fail when the notebook changed but the package was not converted again (CT must not
    train yesterday's code either)."""
    return {
        "name": "The package is converted from this notebook (sync check)",
        "run": f"mlops-jupyter convert {nb_rel} -o {package} --check-sync",
    }


def _ci(nb_rel: str, nb_dir: str, package: str) -> dict[str, object]:
    steps = [
        *_setup(),
        _sync_step(nb_rel, package),
        {"name": "Pre-flight check of the notebook", "run": f"mlops-jupyter check {nb_rel}"},
        {
            "name": "The package's tests (step values, input schemas, the pipeline)",
            "working-directory": nb_dir,
            "env": {"PYTHONPATH": "${{ github.workspace }}"},
            "run": f"python -m pytest -q ${{{{ github.workspace }}}}/{package}/tests",
        },
    ]
    return {
        "name": f"ci {package}",
        "on": {"push": None, "pull_request": None, "workflow_dispatch": None},
        "jobs": {"test": {"runs-on": "ubuntu-latest", "steps": steps}},
    }


def _ct(nb_rel: str, nb_dir: str, package: str, metric: str, max_drop: float) -> dict[str, object]:
    champion = f"models:/{package}@champion"
    run_id = "${{ steps.train.outputs.run_id }}"
    steps = [
        *_setup(),
        _sync_step(nb_rel, package),
        {
            "name": "Restore the run store",
            "uses": "actions/cache@v4",
            "with": {
                "path": ".mlops",
                "key": "mlops-store-${{ github.run_id }}",
                "restore-keys": "mlops-store-",
            },
        },
        {
            # in the notebook's folder (its relative paths), the package importable from the root
            "name": "Run the pipeline as a tracked run; register its model",
            "id": "train",
            "working-directory": nb_dir,
            "env": {"PYTHONPATH": "${{ github.workspace }}"},
            "run": f"python -m {package} --track --register {package} | tee run.txt\n"
            'echo "run_id=$(awk \'/^run /{print $2; exit}\' run.txt)" >> "$GITHUB_OUTPUT"\n',
        },
        {
            "name": f"Gate {metric} against {champion}; promote when it passes",
            "id": "gate",
            "run": "set +e\n"
            f"mlops-jupyter check-metrics {run_id} --baseline {champion} "
            f"--metric {metric} --max-drop {max_drop} --promote --format json > gate.json\n"
            "status=$?\n"
            "cat gate.json\n"
            "python -c \"import json; print('baseline=' + (json.load(open('gate.json'))"
            "['baseline_run_id'] or ''))\" >> \"$GITHUB_OUTPUT\"\n"
            "exit $status\n",
        },
        {
            "name": "Report to the job summary",
            "if": "always() && steps.train.outputs.run_id != ''",
            "run": f'BASE="${{{{ steps.gate.outputs.baseline }}}}"\n'
            f'mlops-jupyter report {run_id} ${{BASE:+--baseline "$BASE"}} --md '
            '>> "$GITHUB_STEP_SUMMARY"\n',
        },
    ]
    return {
        "name": f"ct {package}",
        "on": {"schedule": [{"cron": "0 4 * * 1"}], "workflow_dispatch": None},
        "jobs": {"train": {"runs-on": "ubuntu-latest", "steps": steps}},
    }
