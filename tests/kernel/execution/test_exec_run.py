"""`run_notebook` and `mlops-jupyter run` on real papermill executions and real kernels."""

from __future__ import annotations

import json
import time

import pytest

from mlops_jupyter.cli.main import main
from mlops_jupyter.errors import (
    KernelDiedError,
    NotebookExecutionError,
    NotebookTimeoutError,
)
from mlops_jupyter.execution import run_notebook
from mlops_jupyter.store import open_store
from tests.support.nbhelpers import copy_notebook, executed_cells, stdout_of


def test_typed_parameters_reach_the_kernel_with_their_types(tmp_path):
    nb = copy_notebook("typed.ipynb", tmp_path)
    before = nb.read_bytes()
    out = tmp_path / "out" / "typed.out.ipynb"
    record = run_notebook(
        nb,
        {
            "lr": "0.5",
            "epochs": "4",
            "flag": "true",
            "layers": "[1, 2]",
            "opts": {"b": 2},
            "seed": "7",
        },
        output_path=out,
    )
    seen = json.loads(stdout_of(out).strip().splitlines()[-1])
    assert seen == {
        "lr": "float",
        "epochs": "int",
        "flag": "bool",
        "name": "str",
        "layers": "list",
        "opts": "dict",
        "seed": "int",
    }
    assert record.status == "finished" and record.duration > 0
    assert record.params == {
        "lr": 0.5,
        "epochs": 4,
        "flag": True,
        "name": "base",
        "layers": [1, 2],
        "opts": {"b": 2},
        "seed": 7,
    }
    assert record.metrics == {"score": 2.0}  # logged inside the kernel, rolled up
    assert record.source_notebook == str(nb)
    assert nb.read_bytes() == before  # the source notebook is never modified
    cells = executed_cells(out)
    assert "injected-parameters" in cells[3].metadata.tags
    executed = open_store().read_artifact(record.artifact("executed.ipynb").sha256)
    meta = json.loads(executed)["metadata"]["papermill"]
    assert meta["parameters"]["lr"] == 0.5 and meta["input_path"] == str(nb)
    assert json.loads(executed)["metadata"]["language_info"]["name"] == "python"
    children = open_store().search_runs(parent_run_id=record.run_id)
    assert len(children) == 1 and children[0].metrics == {"score": 2.0}


def test_failing_cell_gives_a_failed_run_with_error_and_output(tmp_path):
    nb = copy_notebook("fail.ipynb", tmp_path)
    with pytest.raises(
        NotebookExecutionError, match=r"cell 4 raised ValueError: boom at x=2"
    ) as caught:
        run_notebook(nb, {"x": 2, "fail_on": 2})
    err = caught.value
    assert (err.cell_index, err.ename, err.evalue) == (4, "ValueError", "boom at x=2")
    assert err.execution_count is not None and "ValueError" in err.source
    assert "boom at x=2" in err.traceback and err.run_id
    record = open_store().get_run(err.run_id)
    assert record.status == "failed" and "cell 4 raised ValueError: boom at x=2" in record.error
    assert record.tags["mlops.error_cell"] == "4"
    assert record.tags["mlops.error_name"] == "ValueError"
    executed = json.loads(open_store().read_artifact(record.artifact("executed.ipynb").sha256))
    errors = [
        o
        for c in executed["cells"]
        for o in c.get("outputs", ())
        if o.get("output_type") == "error"
    ]
    assert errors and errors[0]["evalue"] == "boom at x=2"
    assert record.metrics == {"x2": 4.0}  # logged before the failing cell, not lost


def test_dead_kernel_is_reported_as_such(tmp_path):
    nb = copy_notebook("dead.ipynb", tmp_path)
    with pytest.raises(KernelDiedError, match="kernel died while running cell 2") as caught:
        run_notebook(nb)
    record = open_store().get_run(caught.value.run_id)
    assert record.status == "failed" and "kernel died" in record.error
    executed = json.loads(open_store().read_artifact(record.artifact("executed.ipynb").sha256))
    shown = ["".join(o.get("text", "")) for c in executed["cells"] for o in c.get("outputs", ())]
    assert shown == ["start\n"]  # what ran before the kernel died is kept


def test_per_run_timeout_is_enforced(tmp_path):
    nb = copy_notebook("slow.ipynb", tmp_path)
    started = time.perf_counter()
    with pytest.raises(
        NotebookTimeoutError, match="timed out after 2s while running cell 3"
    ) as caught:
        run_notebook(nb, {"seconds": 60}, timeout=2)
    assert time.perf_counter() - started < 15
    record = open_store().get_run(caught.value.run_id)
    assert record.status == "failed" and "timed out" in record.error


def test_run_command(tmp_path, capsys):
    nb = copy_notebook("typed.ipynb", tmp_path)
    (tmp_path / "p.yaml").write_text("epochs: 5\n")
    out = tmp_path / "o.ipynb"
    code = main(
        [
            "run",
            str(nb),
            "-p",
            "lr",
            "0.2",
            "-f",
            str(tmp_path / "p.yaml"),
            "--output",
            str(out),
            "--timeout",
            "60",
            "--cwd",
            str(tmp_path),
            "--name",
            "cli-run",
        ]
    )
    assert code == 0, capsys.readouterr().err
    assert "finished" in capsys.readouterr().out and out.is_file()
    (record,) = open_store().search_runs(filter="name == 'cli-run'")
    assert record.params["lr"] == 0.2 and record.params["epochs"] == 5
    assert record.metrics["score"] == pytest.approx(1.0)
    assert main(["run", str(copy_notebook("fail.ipynb", tmp_path)), "-p", "fail_on", "1"]) == 2
    assert "cell 4 raised ValueError: boom at x=1" in capsys.readouterr().err


def test_track_cells_inside_become_child_runs(tmp_path):
    nb = copy_notebook("track.ipynb", tmp_path)
    record = run_notebook(nb, {"lr": 0.5}, experiment="exp-a")
    (child,) = open_store().search_runs(parent_run_id=record.run_id)
    assert child.name == "train" and child.status == "finished"
    assert child.params["lr"] == 0.5 and child.metrics["acc"] == pytest.approx(1.5)
    assert child.experiment == "exp-a"  # a child belongs with its parent
    assert child.source_notebook == str(nb)  # the kernel knows which notebook it runs
    cell = open_store().get_run(child.run_id).provenance["cell"]
    assert cell["hidden_state"] is False  # papermill's injected cell is understood
    assert record.metrics["acc"] == pytest.approx(1.5)  # rolled up onto the notebook's run


def test_notebook_without_kernel_metadata_runs_on_python3(tmp_path):
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    book = new_notebook(cells=[new_code_cell("n = 2"), new_code_cell("print(n * 21)")])
    book.cells[0].metadata["tags"] = ["parameters"]
    nbformat.write(book, str(tmp_path / "bare.ipynb"))
    out = tmp_path / "bare.out.ipynb"
    record = run_notebook(tmp_path / "bare.ipynb", {"n": "3"}, output_path=out)
    assert record.status == "finished" and record.params == {"n": 3}
    assert "63" in stdout_of(out)
