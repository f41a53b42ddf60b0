"""Helpers for the pipeline-export tests: running dvc, the package's CLI and the Airflow
virtualenv in subprocesses, reading which steps ran, and comparing outputs with the notebook."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.support import ROOT
from tests.support.corpus import CORPUS, CORPUS_DIR, env_with_path, expected

#: Corpus notebooks that convert (the "every notebook that converts" set).
CONVERTING = [n for n in CORPUS if expected(n)["convert"] in ("ok", "needs-tracking")]
#: One parameter change per notebook with parameters, chosen so that every step using it
#: computes something else (DVC and the cache skip a step whose inputs come out the same).
PARAM_CHANGES = {
    "globals_functions": ("factor", 4),
    "inplace_mutation": ("threshold", 0.1),
    "multi_io": ("alpha", 5.0),
    "non_ascii": ("seuil", 0.0),
    "out_of_order": ("start", 11),
    "track_magic": ("lr", 0.2),
}

# Loads each final value the way a DVC stage or Airflow task left it and compares it with what
# the notebook computed (captured in the package's tests/data when it was converted).
_GOLDEN = """
import json, sys
from pathlib import Path
package, data = sys.argv[1], Path(sys.argv[2])
pipeline = __import__(package + ".pipeline", fromlist=["GRAPH"])
support = __import__(package + ".tests._support", fromlist=["captured"])
runtime = __import__(package + ".runtime", fromlist=["load_file"])
last = {name: step.name for step in pipeline.GRAPH for name in step.outputs}
expected, _ = support.captured("_final", "outputs")
for name, value in expected.items():
    support.assert_same(runtime.load_file(data / last[name] / f"{name}.pkl"), value, name)
print(json.dumps(sorted(expected)))
"""


def tool_env(*paths: Path) -> dict[str, str]:
    """The environment for dvc, git and the package: this checkout and ``paths`` importable,
    this interpreter first on PATH (dvc stages call ``python``), no telemetry."""
    env = env_with_path(ROOT, *paths)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.update(
        DVC_NO_ANALYTICS="1",
        GIT_AUTHOR_NAME="test",
        GIT_AUTHOR_EMAIL="test@example.invalid",
        GIT_COMMITTER_NAME="test",
        GIT_COMMITTER_EMAIL="test@example.invalid",
    )
    return env


def run(
    args: list[str], cwd: Path, *paths: Path, timeout: int = 600, **env: str
) -> subprocess.CompletedProcess:
    """Run a command in ``cwd`` with ``tool_env`` (``paths``, else ``cwd``, importable)."""
    environ = tool_env(*(paths or (cwd,)))
    environ.update(env)
    return subprocess.run(
        args, cwd=cwd, env=environ, capture_output=True, text=True, timeout=timeout, check=False
    )


def dvc(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    """``dvc ARGS`` (the one installed with this interpreter)."""
    return run([sys.executable, "-m", "dvc", *args], cwd)


def git(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    """``git ARGS``, asserting it succeeded."""
    done = run(["git", *args], cwd)
    assert done.returncode == 0, done.stderr
    return done


def ran_stages(output: str) -> list[str]:
    """The stages a ``dvc repro`` ran, in order."""
    return re.findall(r"Running stage '([^']+)'", output)


def step_lines(stderr: str) -> dict[str, str]:
    """The package's one line per step: step name -> ``ran`` or ``cached``."""
    found = re.findall(r"^step (\S+): (ran in [0-9.]+ s|cached)$", stderr, re.MULTILINE)
    return {name: "cached" if status == "cached" else "ran" for name, status in found}


def golden_names(root: Path, package: str, data: Path) -> list[str]:
    """Compare every final value under ``data`` with the notebook's; return the names compared."""
    done = run([sys.executable, "-c", _GOLDEN, package, str(data)], root)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def downstream_of(name: str, param: str) -> set[str]:
    """The steps of a corpus notebook that use ``param``, and every step after one of them."""
    from mlops_jupyter.convert.analysis import plan_notebook
    from mlops_jupyter.convert.package import step_order
    from mlops_jupyter.notebook.read import read_notebook

    order = step_order(plan_notebook(read_notebook(CORPUS_DIR / f"{name}.ipynb")))
    hit = {b.name for b in order if param in b.params}
    for block in order:
        if hit & set(block.depends):
            hit.add(block.name)
    return hit


def airflow_venv() -> Path:
    """The Airflow 3 virtualenv ``scripts/setup-airflow`` creates once and caches."""
    done = subprocess.run(
        [str(ROOT / "scripts" / "setup-airflow")],
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    assert done.returncode == 0, f"scripts/setup-airflow failed:\n{done.stderr[-3000:]}"
    return Path(done.stdout.strip().splitlines()[-1])


def render_package(root: Path, cells: list, name: str) -> Path:
    """A converted package `name` in `root`, rendered from the plan of `cells` with no captured
    values (no kernel): enough to run its pipeline, cache and step options with `python -m`."""
    from mlops_jupyter.convert.analysis import plan_notebook
    from mlops_jupyter.convert.capture import Capture
    from mlops_jupyter.convert.package import render_pipeline, render_steps
    from mlops_jupyter.convert.runtime_render import runtime_files
    from mlops_jupyter.convert.script import parameter_specs
    from tests.support.nbhelpers import make_notebook

    plan = plan_notebook(make_notebook(cells))
    specs = parameter_specs(plan)
    package = root / name
    package.mkdir(parents=True)
    files = {
        "__init__.py": "",
        "__main__.py": "from .pipeline import main\n\nraise SystemExit(main())\n",
        "steps.py": render_steps(plan, Capture(Path("."), {}), specs, "nb"),
        "pipeline.py": render_pipeline(plan, specs, "nb", name),
        **runtime_files(),
    }
    for file, text in files.items():
        (package / file).write_text(text, encoding="utf-8")
    return package


def run_package(root: Path, name: str, *args: str) -> subprocess.CompletedProcess:
    """`python -m NAME ARGS` in `root`, with the package importable and output captured."""
    return subprocess.run(
        [sys.executable, "-m", name, *args],
        cwd=root,
        env=env_with_path(root),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
