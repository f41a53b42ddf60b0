"""Optuna is an optional extra: the core never imports it, and `sweep --optuna` without it (or
with bad settings) stops with one clear message before anything is recorded."""

from __future__ import annotations

import subprocess
import sys

import pytest

from mlops_jupyter.cli.main import main
from mlops_jupyter.store import open_store
from tests.support import ROOT
from tests.support.nbhelpers import copy_notebook

RANGE = ["--range", "lr=0.001:1:log"]


def test_the_core_and_a_plain_sweep_never_import_optuna():
    code = (
        "import sys, importlib, mlops_jupyter\n"
        "from mlops_jupyter.execution import sweep, sweep_local, sweep_dask, executor, reproduce\n"
        "from mlops_jupyter.execution import kernels, fork_template, preimports, sweep_spec\n"
        "importlib.import_module('mlops_jupyter.cli.main').build_parser()\n"
        "assert 'optuna' not in sys.modules, 'optuna imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_without_optuna_installed_the_message_names_the_extra(tmp_path):
    nb = copy_notebook("optuna_objective.ipynb", tmp_path)
    code = (
        "import sys; sys.modules['optuna'] = None\n"
        "from mlops_jupyter.cli.main import main\n"
        f"sys.exit(main(['sweep', {str(nb)!r}, '--optuna', '3', '--metric', 'val_acc', "
        "'--range', 'lr=0.001:1:log']))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 2, done.stderr
    assert "pip install 'mlops-jupyter[optuna]'" in done.stderr


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([], "needs --metric"),
        (["--metric", "val_acc", "--grid", "lr=0.1"], "--optuna searches --range"),
        (["--metric", "val_acc", "--range", "lr=1:0"], "need LO <= HI"),
        (["--metric", "val_acc", "--range", "nope=0:1"], "nope"),
    ],
)
def test_bad_settings_are_refused_before_anything_is_recorded(tmp_path, capsys, extra, message):
    nb = copy_notebook("optuna_objective.ipynb", tmp_path)
    ranges = [] if "--range" in extra else RANGE
    assert main(["sweep", str(nb), "--optuna", "3", *ranges, *extra]) == 2
    assert message in capsys.readouterr().err
    assert open_store().search_runs() == []
