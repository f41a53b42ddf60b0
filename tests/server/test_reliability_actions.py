"""Reliability of the server actions (issue 9): convert never deletes a folder it did not write,
caps and cancel for background jobs, independent top-level runs, bounded values, 400s not 500s.

Everything runs on a real jupyter_server (pytest-jupyter's jp_fetch) over a real SQLite store;
the kernel tests execute notebooks in real IPython kernels.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import nbformat
import pytest
import tornado.httpclient

import mlops_jupyter as mj

NS = "mlops-jupyter"


async def post(jp_fetch, *path, body):
    return await jp_fetch(NS, *path, method="POST", body=json.dumps(body), raise_error=False)


def write_notebook(path: Path, body: str = "total = sum(range(steps))\nprint(total)") -> Path:
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("steps = 3  # how many steps", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(body)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# -- D1: convert replaces only a package it wrote ------------------------------------------------

async def test_convert_default_request_keeps_the_users_train_pipeline_folder(jp_fetch, jp_root_dir):
    """The panel's request (notebook_path only) once deleted train_pipeline/ with its data.csv."""
    write_notebook(jp_root_dir / "train.ipynb")
    mine = jp_root_dir / "train_pipeline"
    mine.mkdir()
    (mine / "pipeline.py").write_text("print('mine')\n")
    (mine / "data.csv").write_text("a,b\n1,2\n")
    before = snapshot(jp_root_dir)
    response = await post(jp_fetch, "conversions", body={"notebook_path": "train.ipynb"})
    assert response.code == 400, response.body
    message = json.loads(response.body)["message"]
    assert "train_pipeline" in message and "not written by mlops-jupyter" in message
    assert "another output folder" in message and "remove that folder yourself" in message
    assert snapshot(jp_root_dir) == before


async def test_convert_into_a_folder_holding_the_notebook_is_refused(jp_fetch, jp_root_dir):
    """`output_dir: "myproj"` (the user's project, notebook inside) was deleted whole."""
    proj = jp_root_dir / "myproj"
    write_notebook(proj / "train.ipynb")
    (proj / "pipeline.py").write_text("print('mine')\n")
    (proj / "notes.txt").write_text("notes")
    before = snapshot(jp_root_dir)
    response = await post(jp_fetch, "conversions",
                          body={"notebook_path": "myproj/train.ipynb", "output_dir": "myproj"})
    assert response.code == 400, response.body
    assert "contains the notebook being converted" in json.loads(response.body)["message"]
    assert snapshot(jp_root_dir) == before


@pytest.mark.parametrize("marked", [False, True], ids=["plain-root", "root-with-marker"])
async def test_convert_into_the_server_root_is_refused(jp_fetch, jp_root_dir, marked):
    """`output_dir: "."` deleted the whole server root; a marker file there changes nothing."""
    write_notebook(jp_root_dir / "sub" / "simple.ipynb")
    (jp_root_dir / "pipeline.py").write_text("print('mine')\n")
    (jp_root_dir / "thesis.tex").write_text("years of work")
    (jp_root_dir / "data").mkdir()
    (jp_root_dir / "data" / "raw.csv").write_text("1\n")
    if marked:
        (jp_root_dir / ".mlops-jupyter-package").write_text('{"tool": "mlops-jupyter"}')
    before = snapshot(jp_root_dir)
    response = await post(jp_fetch, "conversions",
                          body={"notebook_path": "sub/simple.ipynb", "output_dir": "."})
    assert response.code == 400, response.body
    assert "server's root folder" in json.loads(response.body)["message"]
    assert snapshot(jp_root_dir) == before


@pytest.mark.kernel
async def test_convert_again_replaces_the_package_it_wrote(jp_fetch, jp_root_dir):
    write_notebook(jp_root_dir / "nb" / "train.ipynb")
    body = {"notebook_path": "nb/train.ipynb"}
    first = await post(jp_fetch, "conversions", body=body)
    assert first.code == 200, first.body
    package = jp_root_dir / "nb" / "train_pipeline"
    marker = json.loads((package / ".mlops-jupyter-package").read_text())
    assert marker["tool"] == "mlops-jupyter" and marker["notebook"] == "train.ipynb"
    assert marker["version"] == mj.__version__
    (package / "stale.txt").write_text("from an older conversion")
    again = await post(jp_fetch, "conversions", body=body)
    assert again.code == 200, again.body
    assert json.loads(again.body) == {"output_path": "nb/train_pipeline"}
    assert (package / "pipeline.py").is_file() and not (package / "stale.txt").exists()
    assert sorted(p.name for p in (jp_root_dir / "nb").iterdir()) == ["train.ipynb", "train_pipeline"]
