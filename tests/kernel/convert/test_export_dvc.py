"""`export dvc` and the step cache, on every corpus notebook that converts, with the real `dvc`
in a fresh git + DVC repository: `dvc repro` gives the notebook's values, `dvc status` is clean
after it, one parameter change re-runs exactly the stages downstream of it, and the package's
own cache skips and re-runs the same steps. One export per notebook serves every assertion."""

from __future__ import annotations

import json
import re
import shutil
import sys

import pytest

from mlops_jupyter.convert.export_dvc import CODE_STAGE, export_dvc
from tests.support.corpus import CORPUS_DIR
from tests.support.pipelines import (
    CONVERTING,
    PARAM_CHANGES,
    downstream_of,
    dvc,
    git,
    golden_names,
    ran_stages,
    run,
    step_lines,
)

# An export, three dvc repro and an experiment: minutes on a busy 2-core machine.
pytestmark = pytest.mark.timeout(1200)
FAST = {"multi_io", "classes"}  # the rest of the corpus runs with -m slow
# What a stage prints when the values it read from files are the notebook's (a step changes an
# input in place: `alice.deposit()` changes `bank` too, `data.sort()`, `values.append()`).
PRINTED = {
    "classes": "total=130.5",
    "no_parameters": "[1, 1, 2, 3, 4, 5, 6, 9]",
    "out_of_order": "132",
}
NOTEBOOKS = [pytest.param(n, marks=[] if n in FAST else [pytest.mark.slow]) for n in CONVERTING]


def _export(name, root):
    """The notebook exported into a fresh git + DVC repository under ``root``."""
    (root / "notebooks").mkdir()
    notebook = root / "notebooks" / f"{name}.ipynb"
    shutil.copy(CORPUS_DIR / f"{name}.ipynb", notebook)
    repo = root / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    assert dvc(repo, "init", "-q").returncode == 0
    return repo, export_dvc(notebook, repo)


def _set_param(repo, param, value):
    path = repo / "params.yaml"
    text, count = re.subn(
        rf"^{param}: .*$", f"{param}: {json.dumps(value)}", path.read_text(), flags=re.M
    )
    assert count == 1
    path.write_text(text)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_export_dvc_reproduces_the_notebook_and_both_caches_rerun_only_downstream_steps(
    name, tmp_path
):
    repo, result = _export(name, tmp_path)  # one export serves every assertion below
    _step_cache(name, repo, result, tmp_path / "cache")
    if name == "multi_io":
        _inside_the_export(repo, result, tmp_path)
    _dvc(name, repo, result)


def _dvc(name, repo, result):
    """dvc repro gives the notebook's values, dvc status is clean, a parameter change re-runs
    exactly the stages downstream of it."""
    assert (repo / "dvc.yaml").read_text().startswith("# written by mlops-jupyter export dvc")
    assert "dvc repro" in (repo / "README.md").read_text()
    done = dvc(repo, "repro")
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(ran_stages(done.stdout)) == sorted([CODE_STAGE, *result.stages])
    assert PRINTED.get(name, "") in done.stdout
    compared = golden_names(repo, result.package, repo / "data")
    if name == "multi_io":
        assert {"model", "mse", "scores", "X_test"} <= set(compared)
    status = dvc(repo, "status", "--json")
    assert status.returncode == 0 and json.loads(status.stdout or "{}") == {}, status.stdout
    if name == "multi_io":
        _edit_one_step(repo, result.package)
    if name not in PARAM_CHANGES:
        return
    param, value = PARAM_CHANGES[name]
    _set_param(repo, param, value)
    again = dvc(repo, "repro")
    assert again.returncode == 0, again.stdout + again.stderr
    assert set(ran_stages(again.stdout)) == downstream_of(name, param)
    assert json.loads(dvc(repo, "status", "--json").stdout or "{}") == {}
    if name == "multi_io":
        _experiment(repo, result.package)


def _edit_one_step(repo, package):
    """Editing one step's code re-runs that stage and the stages whose inputs it changed: `fit`
    rounds `coef` differently, so `report` (after: fit) runs again; `evaluate` reads only the
    unchanged `model`, and the steps before `fit` are untouched."""
    steps = repo / package / "steps.py"
    text = steps.read_text()
    assert text.count("round(float(c), 3)") == 1
    steps.write_text(text.replace("round(float(c), 3)", "round(float(c), 2)"))
    done = dvc(repo, "repro")
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(ran_stages(done.stdout)) == sorted([CODE_STAGE, "fit", "report"])
    assert json.loads(dvc(repo, "status", "--json").stdout or "{}") == {}


def _experiment(repo, package):
    """``dvc exp run -S alpha=0.9`` in the committed repository re-fits with alpha 0.9."""
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "pipeline")
    done = dvc(repo, "exp", "run", "-S", "alpha=0.9")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "fit" in ran_stages(done.stdout) and "make_data" not in ran_stages(done.stdout)
    alpha = run(
        [
            sys.executable,
            "-c",
            "import pickle; print(pickle.load(open('data/fit/model.pkl', 'rb')).alpha)",
        ],
        repo,
    )
    assert alpha.stdout.strip() == "0.9", alpha.stderr


def _step_cache(name, repo, result, cache):
    """The package's own cache skips every step on a second run and re-runs exactly the
    downstream ones after a parameter change."""
    cache.mkdir()

    def package(*args):
        command = [sys.executable, "-m", result.package, "--cache", str(cache), *args]
        done = run(command, cache, repo)
        assert done.returncode == 0, done.stderr
        return step_lines(done.stderr)

    everything = dict.fromkeys(result.stages, "ran")
    assert package() == everything
    assert package() == dict.fromkeys(result.stages, "cached")
    if name in PARAM_CHANGES:
        param, value = PARAM_CHANGES[name]
        lines = package(f"--{param}", str(value))
        assert {s for s, status in lines.items() if status == "ran"} == downstream_of(name, param)
        assert set(lines) == set(result.stages)
    if result.stages:
        first = result.stages[0]
        lines = package("--force", first)
        ran = {s for s, status in lines.items() if status == "ran"}
        assert first in ran and ran <= set(result.stages)


def _inside_the_export(repo, result, tmp_path):
    """The generated tests pass inside the export; run(cache=DIR) caches from Python too."""
    tests = run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"{result.package}/tests"],
        repo,
    )
    assert tests.returncode == 0 and " passed" in tests.stdout, tests.stdout + tests.stderr
    code = (
        f"from {result.package} import run\n"
        f"for _ in range(2):\n    ns = run(cache={str(tmp_path / 'c')!r}, alpha=0.5)\n"
        "print(ns['model'].alpha)"
    )
    done = run([sys.executable, "-c", code], tmp_path, repo)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "0.5"
    assert done.stderr.count("step fit: cached") == 1 and "step fit: ran in" in done.stderr
