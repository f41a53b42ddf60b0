"""The converted package's runtime on real conversions: an output that cannot be materialised is
an export-time error naming the step and the value; `--executor dask` runs independent steps in
parallel on a real Dask cluster (local, or one reached with --scheduler) and shares the cache."""

from __future__ import annotations

import json
import re
import sys

import nbformat
import pytest

from mlops_jupyter.convert import convert_notebook
from mlops_jupyter.convert.export_airflow import export_airflow
from mlops_jupyter.convert.export_dvc import export_dvc
from mlops_jupyter.errors import NotebookError
from tests.support.nbhelpers import make_notebook
from tests.support.pipelines import run, step_lines

UNMATERIALISABLE = {
    "an open file": (
        export_dvc,
        ["#| step: open_log\nhandle = open('log.txt', 'w')", "#| step: write\nhandle.write('x')"],
        "step 'open_log': output 'handle' (a _io.TextIOWrapper) cannot be materialised",
    ),
    "a generator": (
        export_airflow,
        ["#| step: make\nsquares = (i * i for i in range(3))", "#| step: total\nn = sum(squares)"],
        "step 'make': output 'squares' (a generator) cannot be materialised",
    ),
}


@pytest.mark.parametrize("case", list(UNMATERIALISABLE))
def test_an_output_that_cannot_be_materialised_is_an_export_error(case, tmp_path):
    export, cells, message = UNMATERIALISABLE[case]
    notebook = tmp_path / "nb.ipynb"
    nbformat.write(make_notebook(cells), notebook)
    out = tmp_path / "out"
    with pytest.raises(
        NotebookError, match="cannot export to (DVC|Airflow): " + re.escape(message)
    ) as err:
        export(notebook, out, verify=False)
    assert "open file, a generator" in str(err.value)  # and what to do instead
    assert not out.exists() or not list(out.iterdir())  # nothing half-written


# Each side leaves a mark, then waits for the other's: both see each other only when the two
# steps run at the same time (run one after the other, the first gives up after `patience`).
CELLS = [
    ("patience = 0.5  # seconds each side waits for the other", ["parameters"]),
    "import os\nimport time",
    "def meet(me, other, patience):\n    open(me + '.ready', 'w').close()\n"
    "    for _ in range(int(patience * 20)):\n        if os.path.exists(other + '.ready'):\n"
    "            return True\n        time.sleep(0.05)\n"
    "    return os.path.exists(other + '.ready')",
    "#| step: left\nleft_met = meet('left', 'right', patience)",
    "#| step: right\nright_met = meet('right', 'left', patience)",
    "#| step: join\nboth = [left_met, right_met]",
    ("assert len(both) == 2", ["test"]),  # makes `both` an output of `join`
]
_RUN = """
import json, sys
from pkg_dask import run
options = json.loads(sys.argv[1])
ns = run(**options)
print(json.dumps(ns["both"]))
"""


@pytest.fixture(scope="module")
def dask_package(tmp_path_factory):
    root = tmp_path_factory.mktemp("dask")
    notebook = root / "nb.ipynb"
    nbformat.write(make_notebook(CELLS), notebook)
    convert_notebook(notebook, root / "pkg_dask", verify=False)  # files decide: not reproducible
    return root


def _run(root, cwd, **options):
    done = run([sys.executable, "-c", _RUN, json.dumps(options)], cwd, root)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1]), step_lines(done.stderr)


def test_dask_runs_independent_steps_in_parallel_and_caches_them(dask_package, tmp_path):
    cache = str(tmp_path / "cache")
    spans, lines = _run(dask_package, tmp_path, executor="dask", cache=cache, patience=20.0)
    assert lines == {"left": "ran", "right": "ran", "join": "ran"}
    assert spans == [True, True]  # left and right ran at the same time
    again, lines = _run(dask_package, tmp_path, executor="dask", cache=cache, patience=20.0)
    assert lines == dict.fromkeys(["left", "right", "join"], "cached") and again == spans
    local, lines = _run(dask_package, tmp_path, cache=cache, patience=20.0)  # one cache for all
    assert set(lines.values()) == {"cached"} and local == spans


def test_dask_scheduler_address_runs_on_that_cluster(dask_package, tmp_path, monkeypatch):
    from dask.distributed import LocalCluster

    monkeypatch.syspath_prepend(str(dask_package))  # the worker (in this process) imports it
    with LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, protocol="tcp", dashboard_address=None
    ) as cluster:
        cache = str(tmp_path / "cache")
        spans, lines = _run(
            dask_package,
            tmp_path,
            executor="dask",
            scheduler=cluster.scheduler_address,
            cache=cache,
            patience=20.0,
        )
        assert lines == dict.fromkeys(["left", "right", "join"], "ran") and spans == [True, True]
        assert (tmp_path / "cache" / "join").is_dir()
    done = run(
        [
            sys.executable,
            "-m",
            "pkg_dask",
            "--cache",
            cache,
            "--force",
            "right",
            "--patience",
            "20",
        ],
        tmp_path,
        dask_package,
    )
    assert done.returncode == 0, done.stderr
    assert step_lines(done.stderr) == {"left": "cached", "right": "ran", "join": "ran"}
