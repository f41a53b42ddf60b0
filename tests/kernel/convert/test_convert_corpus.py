"""Every corpus notebook, run in real kernels: the exported script prints what the notebook
prints, and the converted package's generated tests pass."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from mlops_jupyter.convert import convert_notebook, export_script
from mlops_jupyter.errors import NotebookError
from tests.support import ROOT
from tests.support.corpus import (
    CORPUS,
    CORPUS_DIR,
    env_with_path,
    execute_notebook,
    expected,
    normalize,
)

_STUB = """
import sys
from contextlib import contextmanager

def _lookup(names, namespaces):
    return {n: ns[n] for n in names for ns in reversed(namespaces) if n in ns}

class _Cell:
    def shown(self, value):
        return value

    def metrics(self, names, *namespaces):
        for key, value in _lookup(names, namespaces).items():
            log_metric(key, value)

    def models(self, names, *namespaces):
        pass

@contextmanager
def track_cell(reads, *namespaces, name=None, experiment=None, tags=None):
    print("start_run", {"name": name}, file=sys.stderr)
    for key, value in _lookup(reads, namespaces).items():
        log_param(key, value)
    yield _Cell()
    print("end_run", file=sys.stderr)

def log_param(key, value):
    print("log_param", key, value, file=sys.stderr)

def log_metric(key, value):
    print("log_metric", key, value, file=sys.stderr)
"""


@pytest.mark.parametrize("name", CORPUS)
def test_exported_script_behaves_like_the_notebook(name, tmp_path):
    want = expected(name)
    notebook = CORPUS_DIR / f"{name}.ipynb"
    script = tmp_path / "script.py"
    if want["script"] == "refuse":
        with pytest.raises(NotebookError, match=want["error"]):
            export_script(notebook, script)
        assert not script.exists()
        return
    export_script(notebook, script)
    compile(script.read_text(encoding="utf-8"), str(script), "exec")
    paths = [tmp_path / "stub"] if want["script"] == "stub" else []
    if paths:
        (paths[0] / "mlops_jupyter").mkdir(parents=True)
        (paths[0] / "mlops_jupyter" / "__init__.py").write_text(_STUB)
    (tmp_path / "script_run").mkdir()
    (tmp_path / "notebook_run").mkdir()
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path / "script_run",
        capture_output=True,
        text=True,
        timeout=120,
        env=env_with_path(*paths),
    )
    if want["script"] == "stub":
        assert done.returncode == 0, done.stderr
        assert done.stdout == want["stdout"]
        assert "start_run {'name': 'baseline'}" in done.stderr
        assert "log_param lr 0.5" in done.stderr and "log_metric acc 0.95" in done.stderr
        return
    notebook_out, notebook_error = execute_notebook(notebook, tmp_path / "notebook_run")
    assert normalize(done.stdout) == normalize(notebook_out)
    if want["script"] == "fails":
        assert notebook_error == want["error_name"]
        assert done.returncode != 0 and want["error_name"] in done.stderr
    else:
        assert notebook_error is None
        assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("name", CORPUS)
def test_converted_package_tests_pass(name, tmp_path):
    want = expected(name)
    notebook = tmp_path / f"{name}.ipynb"
    shutil.copy(CORPUS_DIR / f"{name}.ipynb", notebook)
    target = tmp_path / "out" / f"pkg_{name}"
    if want["convert"] == "refuse":
        with pytest.raises(NotebookError, match=want["error"]):
            convert_notebook(notebook, target)
        assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
        return
    result = convert_notebook(notebook, target, verify=False)  # the tests run explicitly below
    assert result.path == target and (target / "steps.py").exists()
    if "steps" in want:
        assert result.steps == want["steps"]
    assert sorted([w.code, w.cell] for w in result.warnings) == sorted(want["check"])
    if "requirements" in want:
        assert (target / "requirements.txt").read_text().split() == want["requirements"]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(target / "tests")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env=env_with_path(target.parent, ROOT),  # this checkout, not the installed mlops-jupyter
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert " passed" in done.stdout and "failed" not in done.stdout
