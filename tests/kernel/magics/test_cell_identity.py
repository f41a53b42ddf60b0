"""Cell identity: every execution is recorded with its own cell id and execution count, with the
messages JupyterLab sends (cellId metadata) and those papermill/nbclient send (none).

The first test pins the IPython/ipykernel behaviour the extension relies on: inside
``pre_run_cell`` the shell's ``execution_count`` is already one ahead, and the cell id arrives
both as ``info.cell_id`` and in the kernel's parent header.
"""

from __future__ import annotations

from pathlib import Path

from mlops_jupyter.store import RunStore
from tests.support.lab_kernel import FrontEnd

PROBE = """
seen = []
def _probe(info):
    parent = get_ipython().kernel.get_parent()
    seen.append((info.cell_id, get_ipython().execution_count,
                 (parent.get("metadata") or {}).get("cellId")))
get_ipython().events.register("pre_run_cell", _probe)
"""


def test_ipykernel_hands_pre_run_cell_the_cell_id_and_a_count_one_ahead(tmp_path: Path) -> None:
    with FrontEnd(tmp_path, [PROBE, "a = 1", "seen[-1]"], lab=True) as lab:
        lab.run(0)
        reply = lab.run(1)
        shown = lab.run(2)
    cell_id = lab.nb.cells[1].id
    # IPython has incremented execution_count before pre_run_cell: the event sees count + 1
    text = shown["outputs"][0]["data"]["text/plain"]
    assert reply["execution_count"] == 2
    assert text == repr((lab.nb.cells[2].id, 4, lab.nb.cells[2].id))
    assert cell_id != lab.nb.cells[2].id


def _runs_by_count(store: RunStore) -> dict[int, dict]:
    found = {}
    for summary in store.search_runs():
        cell = store.get_run(summary.run_id).provenance["cell"]
        found[cell["execution_count"]] = cell
    return found


def test_lab_run_all_records_each_cell_id_and_count(tmp_path: Path) -> None:
    cells = ["%load_ext mlops_jupyter", "lr = 0.1", "%%track\nacc = lr * 2", "%%track\nb = acc"]
    with FrontEnd(tmp_path, cells, lab=True) as lab:
        replies = lab.run_all()
        lab.run(2)
    cells_by_count = _runs_by_count(RunStore(_store()))
    assert sorted(cells_by_count) == [3, 4, 5]
    # one line after each tracked cell: the run, and a button that opens it in the panel
    (line,) = [o["data"] for o in replies[2]["outputs"] if o["output_type"] == "display_data"]
    run = RunStore(_store()).search_runs(filter="name == 'nb[3]'")
    assert line["text/plain"] == f"mlops-jupyter: run {run[0].run_id[:8]} (nb[3]) finished"
    assert 'data-commandlinker-command="mlops-jupyter:open-run"' in line["text/html"]
    assert run[0].run_id in line["text/html"]
    assert replies[2]["execution_count"] == 3
    for count, index in ((3, 2), (4, 3), (5, 2)):
        cell = cells_by_count[count]
        assert cell["cell_id"] == lab.nb.cells[index].id, (count, cell)
        assert cell["history"][-1] == {**cell["history"][-1], "execution_count": count}
        assert cell["history"][-1]["cell_id"] == lab.nb.cells[index].id
    assert all(c["hidden_state"] is False for c in cells_by_count.values())


def test_papermill_style_requests_match_by_source(tmp_path: Path) -> None:
    cells = ["%load_ext mlops_jupyter", "lr = 0.1", "%%track\nacc = lr * 2"]
    with FrontEnd(tmp_path, cells, lab=False) as nb:
        nb.run_all()
    (cell,) = _runs_by_count(RunStore(_store())).values()
    assert cell["cell_id"] is None and cell["execution_count"] == 3
    assert cell["hidden_state"] is False


def _store() -> str:
    import os

    return os.environ["MLOPS_JUPYTER_STORE"]
