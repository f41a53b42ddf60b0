"""The peers' notebooks converted for real (issue 18 items 1 and 8): on every vendored papermill
and jupytext notebook, check's verdict equals convert's, and convert gives its expected verdict
(a package whose generated tests pass, or a refusal naming the cell). Slow: one kernel and one
pytest run per notebook."""

from __future__ import annotations

import shutil

import pytest
import yaml

from mlops_jupyter.convert import check_notebook, convert_notebook
from mlops_jupyter.errors import MlopsJupyterError, NotebookExecutionError
from tests.support import ROOT

PEERS = ROOT / "tests" / "data" / "peers"
EXPECTED = yaml.safe_load((PEERS / "expected.yaml").read_text(encoding="utf-8"))
CONVERTED = sorted(n for n, want in EXPECTED.items() if "convert" in want)


@pytest.mark.slow
@pytest.mark.parametrize("name", CONVERTED)
def test_check_predicts_convert(name, tmp_path):
    want = EXPECTED[name]["convert"]
    source = PEERS / name
    notebook = tmp_path / source.name
    shutil.copy(source, notebook)
    ok = check_notebook(notebook).ok
    try:
        convert_notebook(notebook, tmp_path / "pkg_out", timeout=120)
        verdict = "ok"
    except NotebookExecutionError as err:  # the notebook's own cell fails, under papermill too
        verdict = "notebook-fails"
        assert f"cell {err.cell_index}" in str(err) and err.cell_index >= 0
    except MlopsJupyterError as err:
        verdict = "refused"
        assert "cell" in str(err) or "kernel" in str(err), str(err)
    assert verdict == want
    if verdict != "notebook-fails":
        assert ok is (verdict == "ok")  # check said what convert then did
