"""`convert` replaces only a package it wrote (issue 9, D1): the marker file decides, for the
Python API and the command line alike; a folder holding the notebook is never replaced."""

from __future__ import annotations

import shutil

import pytest

from mlops_jupyter.convert import convert_notebook
from mlops_jupyter.errors import ForeignOutputError
from tests.support.corpus import CORPUS_DIR, run_cli


def _users_folder(path):
    path.mkdir(parents=True)
    (path / "pipeline.py").write_text("print('mine')\n")
    (path / "data.csv").write_text("a\n1\n")
    return path


def test_api_refuses_a_foreign_folder_even_with_overwrite(tmp_path):
    target = _users_folder(tmp_path / "train_pipeline")
    with pytest.raises(ForeignOutputError, match="not written by mlops-jupyter"):
        convert_notebook(CORPUS_DIR / "empty.ipynb", target, overwrite=True, verify=False)
    assert sorted(p.name for p in target.iterdir()) == ["data.csv", "pipeline.py"]


def test_api_refuses_the_notebooks_own_folder_and_its_parents(tmp_path):
    outer = tmp_path / "outer"
    project = outer / "myproj"
    project.mkdir(parents=True)
    notebook = project / "nb.ipynb"
    shutil.copy(CORPUS_DIR / "empty.ipynb", notebook)
    (project / ".mlops-jupyter-package").write_text('{"tool": "mlops-jupyter"}')  # even marked
    for target in (project, outer):
        with pytest.raises(ForeignOutputError, match="contains the notebook being converted"):
            convert_notebook(notebook, target, verify=False)
    assert notebook.is_file()


def test_cli_refuses_a_foreign_folder_with_force_and_names_the_fix(tmp_path):
    target = _users_folder(tmp_path / "work" / "pkg")
    done = run_cli("convert", str(CORPUS_DIR / "empty.ipynb"), "-o", str(target), "--force")
    assert done.returncode == 2
    assert f"refusing to write the package into {target}" in done.stderr
    assert "-o/--output" in done.stderr and "remove that folder yourself" in done.stderr
    assert sorted(p.name for p in target.iterdir()) == ["data.csv", "pipeline.py"]


@pytest.mark.kernel
def test_cli_converts_again_into_its_own_package(tmp_path):
    tmp_path = tmp_path / "work"
    tmp_path.mkdir()
    target = tmp_path / "pkg"
    notebook = str(CORPUS_DIR / "empty.ipynb")
    assert run_cli("convert", notebook, "-o", str(target), "--no-verify").returncode == 0
    assert (target / ".mlops-jupyter-package").is_file()
    (target / "old.txt").write_text("old")
    done = run_cli("convert", notebook, "-o", str(target), "--no-verify")
    assert done.returncode == 0, done.stderr
    assert not (target / "old.txt").exists() and (target / "pipeline.py").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pkg"]  # no staging left behind
