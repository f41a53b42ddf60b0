"""Ctrl-C in a sweep: running points stop promptly and end killed, finished points are kept.

A real `mlops-jupyter sweep` process gets a real SIGINT (what the terminal sends on Ctrl-C).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from mlops_jupyter.store import open_store

CHECKOUT = Path(__file__).resolve().parents[3]


def _children(store, sweep_id: str) -> dict[int, str]:
    runs = store.search_runs(parent_run_id=sweep_id)
    return {int(r.tags["mlops.sweep.point"]): r.status for r in runs}


def test_ctrl_c_kills_running_points_and_keeps_finished_ones(tmp_path):
    nb = new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [
        new_code_cell("import time"),
        new_code_cell("x = 0"),
        new_code_cell("time.sleep(0.1 if x == 0 else 60)"),
    ]
    nb.cells[1].metadata["tags"] = ["parameters"]
    path = tmp_path / "slow.ipynb"
    nbformat.write(nb, str(path))
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(CHECKOUT), os.environ.get("PYTHONPATH", "")])
    )
    command = [sys.executable, "-m", "mlops_jupyter.cli", "sweep", str(path)]
    process = subprocess.Popen(
        [*command, "--grid", "x=0,1,2,3", "--jobs", "2", "--name", "interrupted"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    store = open_store()
    deadline = time.monotonic() + 90
    sweep_id, children = None, {}
    while time.monotonic() < deadline:  # point 0 done, points 1 and 2 running
        found = store.search_runs(filter="name == 'interrupted'")
        if found:
            sweep_id = found[0].run_id
            children = _children(store, sweep_id)
            if children.get(0) == "finished" and list(children.values()).count("running") == 2:
                break
        time.sleep(0.2)
    assert sweep_id is not None and children.get(0) == "finished", children
    time.sleep(1.0)  # the running points are inside their 60 s cell
    interrupted = time.monotonic()
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    took = time.monotonic() - interrupted
    assert process.returncode == 130, err
    assert took < 10, f"Ctrl-C took {took:.1f}s to stop the sweep"
    children = _children(store, sweep_id)
    assert children[0] == "finished"  # kept
    assert sorted(s for i, s in children.items() if i) == ["killed", "killed"], children
    assert 3 not in children  # never started
    sweep = store.get_run(sweep_id)
    assert sweep.status == "killed" and "--resume" in (sweep.error or "")
    assert "interrupted: 1 finished point(s) kept, 2 running point(s) killed, 1 not started" in err
