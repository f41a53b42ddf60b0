"""One parameters cell for every command: Kale's and `#|` markers work with run, sweep and
%%track."""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import pytest

from mlops_jupyter.cli.main import main
from mlops_jupyter.store import open_store

pytestmark = pytest.mark.kernel

_CHECKOUT = str(Path(__file__).resolve().parents[3])
PARAMS = "lr = 0.1  # learning rate\nepochs = 2"
BODY = (
    "import mlops_jupyter as mj\nmj.log_metric('score', lr * epochs)\nprint('score', lr * epochs)"
)


@pytest.fixture(autouse=True)
def _kernels_import_this_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if _CHECKOUT not in paths:
        monkeypatch.setenv("PYTHONPATH", os.pathsep.join([_CHECKOUT, *paths]))


def _notebook(folder: Path, marker: str) -> Path:
    """A two-cell notebook whose parameters cell is marked by a tag or a `#|` line."""
    nb = nbformat.v4.new_notebook()
    if marker.startswith("#|"):
        nb.cells.append(nbformat.v4.new_code_cell(f"{marker}\n{PARAMS}"))
    else:
        nb.cells.append(nbformat.v4.new_code_cell(PARAMS, metadata={"tags": [marker]}))
    nb.cells.append(nbformat.v4.new_code_cell(BODY))
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path = folder / "nb.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.mark.parametrize("marker", ["parameters", "pipeline-parameters", "#| parameters"])
def test_params_lists_the_schema_of_any_parameters_cell(tmp_path, capsys, marker) -> None:
    path = _notebook(tmp_path, marker)
    assert main(["params", str(path), "--format", "json"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert [(s["name"], s["type"], s["default"], s["help"]) for s in schema] == [
        ("lr", "float", 0.1, "learning rate"),
        ("epochs", "int", 2, ""),
    ]


@pytest.mark.parametrize("marker", ["pipeline-parameters", "#| parameters"])
def test_run_injects_values_after_any_parameters_cell(tmp_path, capsys, marker) -> None:
    """The value given on the command line is the one the notebook computes with (papermill
    injects after the cell it knows, so an untagged parameters cell would reset it)."""
    path = _notebook(tmp_path, marker)
    before = path.read_bytes()
    out = tmp_path / "out.ipynb"
    code = main(["run", str(path), "-p", "lr", "0.5", "--output", str(out), "--name", "r"])
    assert code == 0, capsys.readouterr()
    (run,) = open_store().search_runs(filter="name == 'r'")
    assert run.params == {"lr": 0.5, "epochs": 2}
    assert run.metrics == {"score": 1.0}
    assert "score 1.0" in out.read_text()
    assert path.read_bytes() == before  # the user's notebook is never modified


def test_sweep_over_a_kale_parameters_cell(tmp_path, capsys) -> None:
    path = _notebook(tmp_path, "pipeline-parameters")
    code = main(
        [
            "sweep",
            str(path),
            "--grid",
            "lr=0.5,2",
            "--name",
            "kale",
            "--output-dir",
            str(tmp_path / "out"),
        ]
    )
    assert code == 0, capsys.readouterr()
    (sweep,) = open_store().search_runs(filter="name == 'kale'")
    children = open_store().search_runs(parent_run_id=sweep.run_id)
    assert sorted((c.params["lr"], c.metrics["score"]) for c in children) == [
        (0.5, 1.0),
        (2.0, 4.0),
    ]


LOAD = "%load_ext mlops_jupyter"
TRACKED = "%%track --name t\nout = 1"


@pytest.mark.parametrize(
    "parameters_cell",
    [
        (PARAMS, ["parameters"]),
        (PARAMS, ["pipeline-parameters"]),
        ("#| parameters\n" + PARAMS, []),
    ],
    ids=["tag", "kale", "comment"],
)
def test_track_records_the_values_of_any_parameters_cell(run_cells, store, parameters_cell) -> None:
    """The tracked cell does not read lr or epochs: they are params because of the cell's role."""
    run_cells([parameters_cell, LOAD, TRACKED])
    (summary,) = store.search_runs()
    run = store.get_run(summary.run_id)
    assert run.params == {"lr": 0.1, "epochs": 2}
    assert run.provenance["cell"]["hidden_state"] is False


def test_run_upgrades_an_nbformat_3_notebook_like_every_reader(tmp_path, capsys) -> None:
    """The behaviour the unit tests pin for params/check/export (nbformat 1-3 are upgraded)."""
    old = Path(__file__).resolve().parents[2] / "data" / "notebooks" / "bad" / "nbformat3.ipynb"
    out = tmp_path / "out.ipynb"
    assert main(["run", str(old), "--output", str(out), "--name", "old"]) == 0, capsys.readouterr()
    executed = nbformat.read(out, as_version=4)
    assert executed.nbformat == 4
    assert executed.cells[0].outputs[0]["text"] == "1\n"
