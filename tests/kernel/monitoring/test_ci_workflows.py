"""`convert --ci github` on the example notebook: the workflows validate against GitHub's
schema (check-jsonschema's vendored copy, offline), their steps run locally in order and pass,
CT promotes the first champion then gates the next run against it, and the sync check fails
once the notebook is edited. (tests/support/workflows.py says which steps cannot run here.)"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mlops_jupyter.store import RunStore, open_store
from tests.support import ROOT
from tests.support.workflows import run_workflow

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]  # a conversion, 2 notebook runs


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mlops_jupyter.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


def test_convert_ci_github_workflows_validate_run_and_catch_a_stale_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MLOPS_JUPYTER_STORE")  # as in CI: the store is <repo>/.mlops (cached)
    repo = tmp_path / "repo"
    (repo / "notebooks").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)  # the store goes at its root
    notebook = repo / "notebooks" / "train.ipynb"
    shutil.copy(ROOT / "example-notebooks" / "train_classifier.ipynb", notebook)
    done = _cli(
        "convert",
        "notebooks/train.ipynb",
        "-o",
        "trainpkg",
        "--ci",
        "github",
        "--ci-metric",
        "test_accuracy",
        cwd=repo,
    )
    assert done.returncode == 0, done.stderr
    workflows = repo / ".github" / "workflows"
    assert sorted(p.name for p in workflows.iterdir()) == ["ci.yml", "ct.yml"]

    schema_check = subprocess.run(
        [
            str(Path(sys.executable).parent / "check-jsonschema"),
            "--builtin-schema",
            "vendor.github-workflows",
            str(workflows / "ci.yml"),
            str(workflows / "ct.yml"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert schema_check.returncode == 0, schema_check.stdout + schema_check.stderr

    results, _ = run_workflow(workflows / "ci.yml", repo)
    assert [r.name for r in results] == [
        "The package is converted from this notebook (sync check)",
        "Pre-flight check of the notebook",
        "The package's tests (step values, input schemas, the pipeline)",
    ]
    assert all(r.returncode == 0 for r in results), [r.output[-800:] for r in results]

    first, summary = run_workflow(workflows / "ct.yml", repo, run_number=1)
    assert [r.name for r in first] == [
        "The package is converted from this notebook (sync check)",
        "Run the pipeline as a tracked run; register its model",
        "Gate test_accuracy against models:/trainpkg@champion; promote when it passes",
        "Report to the job summary",
    ]
    assert all(r.returncode == 0 for r in first), [r.output[-800:] for r in first]
    assert "step sgd_classifier: ran in" in first[1].output  # the package ran, not the notebook
    assert "first holder of models:/trainpkg@champion" in first[2].output
    second, summary = run_workflow(workflows / "ct.yml", repo, run_number=2)
    assert all(r.returncode == 0 for r in second), [r.output[-800:] for r in second]
    gate = json.loads(second[2].output[: second[2].output.rindex("}") + 1])
    assert gate["passed"] and gate["baseline_run_id"] and gate["promoted_version"] == 2
    store = open_store(str(repo / ".mlops" / "runs.db"))
    ct_run, first_run = store.get_run(gate["run_id"]), store.get_run(gate["baseline_run_id"])
    assert ct_run.tags["mlops.kind"] == "pipeline" and ct_run.tags["alias.trainpkg"] == "champion"
    assert first_run.tags["alias.trainpkg"] == "was champion"
    # the pipeline's run carries its tracked step's metrics, which the gate compared
    assert gate["value"] == ct_run.metrics["test_accuracy"] == gate["baseline_value"]
    # the registry's champion moved through the promotion gate: version 2 is the model this CT
    # run's tracked step logged (a child run), registered once by --register and promoted; the
    # gate compared with version 1's pipeline run
    champion = store.get_model_version("trainpkg", store.alias_version("trainpkg", "champion"))
    assert champion.version == 2 and len(store.list_model_versions("trainpkg")) == 2
    assert store.get_run(champion.run_id).parent_run_id == gate["run_id"]
    first_model = store.get_model_version("trainpkg", 1)
    assert store.get_run(first_model.run_id).parent_run_id == gate["baseline_run_id"]
    assert "## Metrics" in summary and "| test_accuracy |" in summary and "baseline: run" in summary
    # the shown table of the notebook's %%track cell (a child run), profiled and compared
    assert "## Data drift" in summary and "| sgd-classifier/table_1 | 1 | 0 | 0% | no |" in summary
    assert "## Figures" in summary and "figure_1.png" in summary
    _package_run_compares_with_the_notebook_run(repo, store, gate["run_id"])
    _a_cached_tracked_run_still_measures(repo, store)

    nb = json.loads(notebook.read_text())
    code = next(c for c in nb["cells"] if c["cell_type"] == "code" and "tags" not in c["metadata"])
    code["source"] = (
        ["# an edit\n", *code["source"]]
        if isinstance(code["source"], list)
        else ("# an edit\n" + code["source"])
    )
    notebook.write_text(json.dumps(nb))
    stale, _ = run_workflow(workflows / "ci.yml", repo)
    assert stale[0].returncode == 1 and len(stale) == 1  # the later steps do not run
    assert "train.ipynb changed since trainpkg was converted" in stale[0].output


def _package_run_compares_with_the_notebook_run(
    repo: Path, store: RunStore, package_run_id: str
) -> None:
    """The tracked package run and `mlops-jupyter run` of the notebook record the same shape:
    param and metric keys, one child per tracked step with the same artifacts, the same
    numbers; a gate and drift between them compare like with like."""
    done = _cli("run", "notebooks/train.ipynb", cwd=repo)
    assert done.returncode == 0, done.stderr
    notebook_run = store.get_run(done.stdout.split("run ", 1)[1].split()[0])
    package_run = store.get_run(package_run_id)
    assert set(package_run.params) == set(notebook_run.params)
    assert package_run.metrics == notebook_run.metrics  # same code, same seed: same numbers
    children = [
        {c.name: store.get_run(c.run_id) for c in store.search_runs(parent_run_id=r.run_id)}
        for r in (package_run, notebook_run)
    ]
    assert list(children[0]) == list(children[1]) == ["sgd-classifier"]
    ours, theirs = children[0]["sgd-classifier"], children[1]["sgd-classifier"]
    assert ours.params == theirs.params and ours.metrics == theirs.metrics
    names = [{a.name for a in r.artifacts} - {"stdout.txt"} for r in (ours, theirs)]
    assert names[0] == names[1] and "models/model/MLmodel" in names[0]
    gate = _cli(
        *("check-metrics", package_run_id, "--baseline", notebook_run.run_id),
        *("--metric", "test_accuracy", "--max-drop", "0", "--no-record"),
        cwd=repo,
    )
    assert gate.returncode == 0 and gate.stdout.startswith("passed: "), gate.stdout + gate.stderr
    for current, baseline in (
        (package_run_id, notebook_run.run_id),
        (notebook_run.run_id, "models:/trainpkg@champion"),  # the package run CT promoted
    ):
        drift = _cli("runs", "drift", current, "--baseline", baseline, "--format", "json", cwd=repo)
        report = json.loads(drift.stdout)
        assert report["columns"] and not any(c["drifted"] for c in report["columns"])
        assert report["schema"] == [] and report["baseline_run_id"] != current, report


def _a_cached_tracked_run_still_measures(repo: Path, store: RunStore) -> None:
    """`--track --cache`: the steps before the tracked one come from the cache, the tracked
    step runs again, so the run has its metrics (a gate on it does not miss them)."""
    cmd = [sys.executable, "-m", "trainpkg", "--track", "--cache", str(repo / "step-cache")]
    env = {**os.environ, "PYTHONPATH": f"{repo}{os.pathsep}{os.environ['PYTHONPATH']}"}
    for _ in range(2):
        done = subprocess.run(
            cmd, cwd=repo / "notebooks", env=env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
    assert "step load_data: cached" in done.stderr
    assert "step sgd_classifier: ran in" in done.stderr
    run_id = done.stdout.split("run ", 1)[1].split()[0]
    assert "test_accuracy" in store.get_run(run_id).metrics
