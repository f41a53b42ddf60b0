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


CELLS = [
    ("pause = 1.0  # seconds each side sleeps", ["parameters"]),
    "import time",
    "#| step: left\nleft_start = time.time()\ntime.sleep(pause)\nleft_end = time.time()",
    "#| step: right\nright_start = time.time()\ntime.sleep(pause)\nright_end = time.time()",
    "#| step: join\nspans = [(left_start, left_end), (right_start, right_end)]",
    ("assert len(spans) == 2", ["test"]),  # makes `spans` an output of `join`
]
_RUN = """
import json, sys
from pkg_dask import run
options = json.loads(sys.argv[1])
ns = run(**options)
print(json.dumps(ns["spans"]))
"""


@pytest.fixture(scope="module")
def dask_package(tmp_path_factory):
    root = tmp_path_factory.mktemp("dask")
    notebook = root / "nb.ipynb"
    nbformat.write(make_notebook(CELLS), notebook)
    convert_notebook(notebook, root / "pkg_dask", verify=False)  # the clock: not reproducible
    return root


def _run(root, cwd, **options):
    done = run([sys.executable, "-c", _RUN, json.dumps(options)], cwd, root)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1]), step_lines(done.stderr)


def test_dask_runs_independent_steps_in_parallel_and_caches_them(dask_package, tmp_path):
    cache = str(tmp_path / "cache")
    spans, lines = _run(dask_package, tmp_path, executor="dask", cache=cache)
    assert lines == {"left": "ran", "right": "ran", "join": "ran"}
    (left_start, left_end), (right_start, right_end) = spans
    assert left_start < right_end and right_start < left_end  # the two sleeps overlapped
    again, lines = _run(dask_package, tmp_path, executor="dask", cache=cache)
    assert lines == dict.fromkeys(["left", "right", "join"], "cached") and again == spans
    local, lines = _run(dask_package, tmp_path, cache=cache)  # one cache for every executor
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
        )
        assert lines == dict.fromkeys(["left", "right", "join"], "ran")
        assert (tmp_path / "cache" / "join").is_dir()
    done = run(
        [sys.executable, "-m", "pkg_dask", "--cache", cache, "--force", "right"],
        tmp_path,
        dask_package,
    )
    assert done.returncode == 0, done.stderr
    assert step_lines(done.stderr) == {"left": "cached", "right": "ran", "join": "ran"}
    assert spans[0][0] < spans[1][1]
