"""%%track in real kernels: what the store holds after a notebook runs."""

from __future__ import annotations

import json

import pytest

from mlops_jupyter.store import RunStore

LOAD = (
    "%load_ext mlops_jupyter\nimport matplotlib\nmatplotlib.use('agg')\n"
    "import matplotlib.pyplot as plt\nimport pandas as pd\nimport mlops_jupyter as mj"
)
PARAMS = ("lr = 0.1\nepochs = 3\nmodel = 'rf'", ["parameters"])
TRAIN = """%%track --name train --tag team=vision
unused_global_is_not_a_param = 1
history = []
for epoch in range(epochs):
    loss = 1.0 / (epoch + 1) + lr
    mj.log_metric("loss", loss, step=epoch)
acc = 0.5 + lr * depth
n_rows = len(big_list)
print("trained", model)
fig, ax = plt.subplots()
ax.plot([1, 2, 3])
pd.DataFrame({"pred": [0, 1], "label": [0, 0]})
"""


def _only_run(store: RunStore, **filters):
    runs = store.search_runs(**filters)
    assert len(runs) == 1, [r.name for r in runs]
    return store.get_run(runs[0].run_id)


def test_a_tracked_cell_records_params_metrics_outputs_and_provenance(run_cells, store) -> None:
    nb = run_cells([PARAMS, LOAD, "depth = 4\nbig_list = list(range(1000))\nhelper = len", TRAIN])
    assert "trained rf" in nb.cells[3].outputs[0]["text"]  # the cell's own output is intact
    run = _only_run(store)
    assert run.name == "train" and run.status == "finished" and run.tags == {"team": "vision"}
    # params: parameters cell + simple globals the cell reads; not modules, functions, big lists
    assert run.params == {"lr": 0.1, "epochs": 3, "model": "rf", "depth": 4}
    # metrics: numbers assigned at top level, plus explicit log_metric with its steps
    assert run.metrics["acc"] == pytest.approx(0.9)
    assert run.metrics["n_rows"] == 1000
    assert run.metrics["loss"] == pytest.approx(1 / 3 + 0.1)
    assert "unused_global_is_not_a_param" in run.metrics  # assigned number -> metric
    assert [p.step for p in store.metric_history(run.run_id, "loss")] == [0, 1, 2]
    names = {a.name: a for a in run.artifacts}
    assert {"figure_1.png", "figure_1.svg", "table_1.table.json", "stdout.txt"} <= set(names)
    table = json.loads(store.read_artifact(names["table_1.table.json"].sha256))
    assert [f["name"] for f in table["schema"]["fields"]][1:] == ["pred", "label"]
    assert store.read_artifact(names["stdout.txt"].sha256) == b"trained rf\n"
    cell = run.provenance["cell"]
    assert cell["source"].startswith("unused_global_is_not_a_param")
    assert cell["execution_count"] == 4 and cell["notebook"].endswith("nb.ipynb")
    assert [h["execution_count"] for h in cell["history"]] == [1, 2, 3, 4]
    assert cell["hidden_state"] is False
    assert run.source_notebook.endswith("nb.ipynb")
    assert {"git", "python", "packages", "host", "seeds"} <= set(run.provenance)


def test_each_execution_is_a_new_run(run_cells, store) -> None:
    run_cells([LOAD, "%%track\nscore = 1"], [0, 1, 1, 1])
    runs = store.search_runs()
    assert len(runs) == 3 and len({r.run_id for r in runs}) == 3
    assert {r.status for r in runs} == {"finished"}
    assert sorted(r.name for r in runs) == ["nb[2]", "nb[3]", "nb[4]"]  # notebook[execution]


def test_an_exception_fails_the_run_and_still_reaches_the_user(run_cells, store) -> None:
    nb = run_cells(
        [LOAD, "%%track --name boom\nmj.log_metric('seen', 1)\nraise ValueError('bad data')"],
        allow_errors=True,
    )
    error = next(o for o in nb.cells[1].outputs if o["output_type"] == "error")
    assert error["ename"] == "ValueError" and error["evalue"] == "bad data"
    run = _only_run(store)
    assert run.status == "failed" and "ValueError: bad data" in run.error
    assert run.metrics == {"seen": 1.0}


def test_keyboard_interrupt_marks_the_run_killed(run_cells, store) -> None:
    run_cells([LOAD, "%%track\nraise KeyboardInterrupt"], allow_errors=True)
    assert _only_run(store).status == "killed"


def test_clean_top_to_bottom_run_is_not_flagged(run_cells, store) -> None:
    run_cells(
        [
            LOAD,
            "x = 1",
            "y = x + 1",
            "%%track --no-capture\nz = y * 2\nprint('not kept')\nplt.plot([1, 2])",
        ]
    )
    run = _only_run(store)
    cell = run.provenance["cell"]
    assert cell["hidden_state"] is False and cell["hidden_state_reason"] == ""
    assert run.artifacts == () and run.metrics == {"z": 4.0}  # --no-capture: no outputs kept


def test_out_of_order_history_is_flagged(run_cells, store) -> None:
    run_cells([LOAD, "x = 1", "x = 100", "%%track\nz = x * 2"], [0, 2, 1, 3])
    cell = _only_run(store).provenance["cell"]
    # run top to bottom, cell 3 ('x = 100') would set the x this cell read
    assert cell["hidden_state"] is True and "cell 3 ('x = 100')" in cell["hidden_state_reason"]
    assert cell["hidden_state_variable"] == "x" and cell["hidden_state_cell"] == 3


def test_value_from_an_edited_cell_is_flagged(run_cells, store) -> None:
    def edit(nb, path):
        import nbformat

        nb.cells[1].source = "x = 2  # changed after it ran"
        nbformat.write(nb, path)

    run_cells([LOAD, "x = 1", "%%track\nz = x * 2"], [0, 1, edit, 2])
    cell = _only_run(store).provenance["cell"]
    assert cell["hidden_state"] is True
    assert "'x' was set by execution [2] ('x = 1')" in cell["hidden_state_reason"]


def test_value_from_a_deleted_cell_is_flagged(run_cells, store) -> None:
    def delete(nb, path):
        import nbformat

        del nb.cells[1]
        nbformat.write(nb, path)

    run_cells([LOAD, "secret = 5", "%%track\nresult = secret + 1"], [0, 1, delete, 1])
    cell = _only_run(store).provenance["cell"]
    assert cell["hidden_state"] is True and "'secret'" in cell["hidden_state_reason"]


def test_papermill_injected_parameters_are_params(run_cells, store) -> None:
    injected = ("# Parameters\nlr = 0.5\nlabel = 'from papermill'\n", ["injected-parameters"])
    run_cells([PARAMS, injected, LOAD, "%%track\nout = 1"])
    run = _only_run(store)
    assert run.params["lr"] == 0.5 and run.params["label"] == "from papermill"


def test_unserialisable_values_warn_and_the_cell_still_works(run_cells, store) -> None:
    nb = run_cells(
        [
            LOAD,
            "class Model: pass\nm = Model()\ntext = 'high'",
            "%%track --params m,missing --metrics text\nresult = 42\nprint('done', result)",
            "print(result)",
        ]
    )
    outputs = "".join(o.get("text", "") for o in nb.cells[2].outputs)
    assert "done 42" in outputs
    assert "--params missing: no variable called 'missing'" in outputs
    assert "--metrics text: str 'high' is not a number" in outputs
    assert nb.cells[3].outputs[0]["text"] == "42\n"
    run = _only_run(store)
    assert run.status == "finished" and run.params["m"].startswith("<__main__.Model")
    assert run.metrics == {"result": 42.0}


def test_bad_magic_arguments_give_one_message_and_run_the_cell(run_cells, store) -> None:
    nb = run_cells([LOAD, "%%track --nmae oops\nvalue = 7", "print(value)"])
    text = "".join(o.get("text", "") for o in nb.cells[1].outputs)
    assert "unrecognized arguments: --nmae" in text and "ran without tracking" in text
    assert nb.cells[2].outputs[0]["text"] == "7\n"
    assert store.search_runs() == []


def test_store_that_goes_away_warns_and_keeps_the_cells_work(run_cells, monkeypatch) -> None:
    from tests.conftest import PostgresCluster

    cluster = PostgresCluster()
    cluster.start()
    try:
        monkeypatch.setenv("MLOPS_JUPYTER_STORE", f"{cluster.url}/postgres")
        stop = lambda nb, path: cluster.stop()  # noqa: E731
        nb = run_cells(
            [
                LOAD,
                "%%track --name before\na = 1",
                "%%track --name during\ny = 42\nprint('work done', y)",
                "print(y * 2)",
            ],
            [0, 1, stop, 2, 3],
        )
        text = "".join(o.get("text", "") for o in nb.cells[2].outputs)
        assert "work done 42" in text and "mlops-jupyter: starting the run" in text
        assert text.count("mlops-jupyter:") == 1  # one message, not a cascade
        assert nb.cells[3].outputs[0]["text"] == "84\n"
        cluster.start()
        runs = RunStore(f"{cluster.url}/postgres").search_runs()
        assert [r.name for r in runs] == ["before"]  # nothing recorded before was lost
    finally:
        cluster.remove()


def test_track_start_stop_spans_cells_and_tracked_cells_become_children(run_cells, store) -> None:
    nb = run_cells(
        [
            LOAD,
            "%track start long experiment",
            "%track log lr=0.01 optimizer=adam",
            "%%track --name inner\nacc = 0.8",
            "mj.log_metric('epoch_loss', 0.3)",
            "%track status",
            "%track stop",
        ]
    )
    assert "active run" in nb.cells[5].outputs[0]["text"]
    parent = _only_run(store, filter="name == 'long experiment'")
    assert parent.status == "finished"
    assert parent.params == {"optimizer": "adam"} and parent.metrics == {
        "lr": 0.01,
        "epoch_loss": 0.3,
    }
    child = _only_run(store, filter="name == 'inner'")
    assert child.parent_run_id == parent.run_id


def test_track_line_errors_are_one_clear_message(run_cells) -> None:
    nb = run_cells([LOAD, "%track stop", "%track fly"], allow_errors=True)
    # IPython shows a UsageError as one line, without a traceback
    assert (
        nb.cells[1].outputs[0]["text"] == "UsageError: no run started with %track start is active\n"
    )
    assert "UsageError: unknown %track command 'fly'" in nb.cells[2].outputs[0]["text"]


def test_runs_magic_table_show_and_compare(run_cells, store) -> None:
    xss = "<img src=x onerror=alert(1)>"
    nb = run_cells(
        [
            LOAD,
            f"%%track --name '{xss}'\n"
            "for i in range(3): mj.log_metric('loss', 1 / (i + 1))\nacc = 0.7",
            "%%track --name second\n"
            "for i in range(3): mj.log_metric('loss', 2 / (i + 1))\nacc = 0.9",
            "%runs --limit 5",
            "ids = mj.runs()['run_id'].tolist()",
            "%runs compare {ids[0]} {ids[1]}",
            "%runs show {ids[1]}",
            "%runs --filter 'metrics.acc >'",
        ],
        allow_errors=True,
    )
    table = nb.cells[3].outputs[0]["data"]
    assert "application/vnd.jupyter.widget-view+json" in table
    assert (
        "&lt;img src=x onerror=alert(1)&gt;" in table["text/html"] and xss not in table["text/html"]
    )
    assert "second" in table["text/plain"] and "metrics.acc" in table["text/plain"]
    compare = nb.cells[5].outputs
    assert "metrics.acc" in compare[0]["data"]["text/plain"]
    assert any("image/png" in o.get("data", {}) for o in compare)  # overlaid loss curves
    assert "&lt;img" in nb.cells[6].outputs[0]["data"]["text/html"]
    assert nb.cells[7].outputs[0]["text"].startswith("UsageError: bad filter 'metrics.acc >'")


def test_the_notebook_shows_the_png_the_run_recorded_drawn_once(run_cells, store) -> None:
    """With the inline backend, the figure a tracked cell shows is the recorded PNG, byte for
    byte (the display reuses it instead of drawing the figure again); a figure of a later,
    untracked cell is drawn as usual."""
    import base64

    nb = run_cells(
        [
            "%load_ext mlops_jupyter\n%matplotlib inline\nimport matplotlib.pyplot as plt",
            "%%track --name drawn\nfig, ax = plt.subplots()\nax.plot([1, 2, 3])\nax.set_title('a')",
            "fig2, ax2 = plt.subplots()\nax2.plot([3, 2, 1])\n"
            "from matplotlib.figure import Figure\n"
            "png = get_ipython().display_formatter.formatters['image/png']\n"
            "print(getattr(png.type_printers[Figure], 'reuses_recorded_png', False))",
        ]
    )

    def shown(cell) -> bytes:
        (png,) = [o["data"]["image/png"] for o in cell.outputs if "image/png" in o.get("data", {})]
        return base64.b64decode(png)

    run = _only_run(store)
    recorded = store.read_artifact(run.artifact("figure_1.png").sha256)
    assert shown(nb.cells[1]) == recorded
    later = shown(nb.cells[2])
    assert later.startswith(b"\x89PNG") and later != recorded
    assert nb.cells[2].outputs[0]["text"] == "True\n"  # the stock printer, wrapped
