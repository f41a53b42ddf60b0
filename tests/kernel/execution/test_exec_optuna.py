"""`sweep --optuna`: ask-and-tell on real kernels, median pruning, and --resume after SIGKILL.

All on tests/support/notebooks/optuna_objective.ipynb (a smooth stand-in for training with
four parameters, a step metric per epoch). The comparison with a 64-point random sweep is the
`slow` test on one seed; its 5-seed median is bench/bench_optuna.py's (too long for CI).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest

from mlops_jupyter.cli.main import main
from mlops_jupyter.execution.fork_template import close_templates
from mlops_jupyter.execution.optuna_study import storage_url
from mlops_jupyter.store import open_store
from tests.support.nbhelpers import copy_notebook

RANGES = ["lr=0.0001:1:log", "momentum=0:0.99", "width=8:256:log", "dropout=0:0.5"]
CHECKOUT = Path(__file__).resolve().parents[3]


def _args(nb: Path, *extra: str) -> list[str]:
    ranges = [a for r in RANGES for a in ("--range", r)]
    return ["sweep", str(nb), "--metric", "val_acc", *ranges, *extra]


def _sweep(name: str):
    store = open_store()
    (sweep,) = store.search_runs(filter=f"name == '{name}'")
    children = store.search_runs(parent_run_id=sweep.run_id)
    return store, sweep, {int(c.tags["mlops.sweep.point"]): c for c in children}


def _study(store, sweep_id: str):
    return optuna.load_study(study_name=sweep_id, storage=storage_url(store, os.getcwd()))


def test_optuna_study_tells_every_trial_and_records_the_best(tmp_path, capsys):
    nb = copy_notebook("optuna_objective.ipynb", tmp_path)
    try:
        code = main(
            [*_args(nb, "--optuna", "6", "--jobs", "2", "--seed", "3"), "-p", "epochs", "2"]
        )
    finally:
        close_templates()
    err = capsys.readouterr().err
    assert code == 0, err
    store, sweep, children = _sweep("sweep-optuna_objective")
    assert sweep.status == "finished" and sorted(children) == list(range(6))
    assert all(c.status == "finished" for c in children.values())
    study = _study(store, sweep.run_id)
    trials = study.get_trials()
    assert [t.state.name for t in trials] == ["COMPLETE"] * 6
    for trial in trials:  # each trial's value is its point's metric, its run on the trial
        child = children[trial.number]
        assert trial.user_attrs["run_id"] == child.run_id
        assert trial.value == pytest.approx(child.metrics["val_acc"])
        assert child.params["lr"] == pytest.approx(trial.params["lr"])
    best = max(children.values(), key=lambda c: c.metrics["val_acc"])
    assert sweep.tags["mlops.optuna.best_run"] == best.run_id
    assert sweep.metrics["best_val_acc"] == pytest.approx(best.metrics["val_acc"])
    assert f"best val_acc = {best.metrics['val_acc']:.6g}" in err


def test_median_pruning_stops_trailing_points_and_keeps_their_partial_curves(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("MLOPS_JUPYTER_FLUSH_INTERVAL", "0.05")  # step metrics reach the store
    nb = copy_notebook("optuna_objective.ipynb", tmp_path)
    args = _args(nb, "--optuna", "9", "--jobs", "2", "--seed", "0", "--prune", "median")
    try:
        code = main([*args, "--sampler", "random", "-p", "epochs", "8", "-p", "pause", "0.3"])
    finally:
        close_templates()
    assert code == 0, capsys.readouterr().err
    store, sweep, children = _sweep("sweep-optuna_objective")
    pruned = [c for c in children.values() if c.status == "pruned"]
    assert pruned, {i: c.status for i, c in children.items()}
    assert sweep.tags["mlops.sweep.pruned"] == str(len(pruned))
    states = {t.number: t.state.name for t in _study(store, sweep.run_id).get_trials()}
    partial = 0
    for child in pruned:
        assert states[int(child.tags["mlops.sweep.point"])] == "PRUNED"
        step = int(re.search(r"at step (\d+) by the median pruner", child.error or "")[1])
        (inner,) = store.search_runs(parent_run_id=child.run_id)  # the run log_metric made
        curve = store.metric_history(inner.run_id, "val_acc")
        assert len(curve) >= step + 1  # the curve up to the cut is kept
        partial += len(curve) < 8
    assert partial  # and at least one point was stopped before its last epoch
    assert sum(c.status == "finished" for c in children.values()) == len(children) - len(pruned)


def test_resume_after_sigkill_of_the_controller_runs_no_trial_twice(tmp_path):
    nb = copy_notebook("optuna_objective.ipynb", tmp_path)
    trace = tmp_path / "trace.txt"
    args = _args(nb, "--optuna", "6", "--jobs", "2", "--seed", "1", "--name", "killed-study")
    args += ["-p", "epochs", "4", "-p", "pause", "0.5", "-p", "trace", str(trace)]
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(CHECKOUT), os.environ.get("PYTHONPATH", "")])
    )
    controller = subprocess.Popen(
        [sys.executable, "-m", "mlops_jupyter.cli", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    store = open_store()
    deadline, children = time.monotonic() + 120, {}
    while time.monotonic() < deadline:  # two trials told, two more running
        found = store.search_runs(filter="name == 'killed-study'")
        if found:
            children = {
                int(c.tags["mlops.sweep.point"]): c
                for c in store.search_runs(parent_run_id=found[0].run_id)
            }
            states = [c.status for c in children.values()]
            if states.count("finished") >= 2 and states.count("running") >= 1:
                break
        time.sleep(0.2)
    controller.send_signal(signal.SIGKILL)
    controller.wait(timeout=10)
    before = {i: (c.run_id, c.status) for i, c in children.items()}
    assert sum(s == "finished" for _, s in before.values()) >= 2, before
    try:
        assert main(["sweep", "--resume", found[0].run_id[:8]]) == 0
    finally:
        close_templates()
    _, sweep, after = _sweep("killed-study")
    study = _study(store, sweep.run_id)
    trials = study.get_trials()
    done = [t for t in trials if t.state.name == "COMPLETE"]
    assert len(done) == 6 and sweep.status == "finished"
    for index, (run_id, status) in before.items():  # what ran before the kill was not rerun
        if status == "finished":
            assert after[index].run_id == run_id and after[index].status == "finished"
    cut = [i for i, (_, s) in before.items() if s == "running"]
    assert cut and all(after[i].status == "killed" for i in cut)
    assert all(trials[i].state.name == "FAIL" for i in cut)
    lines = trace.read_text().splitlines()  # a line per execution that reached its cell
    assert len(set(lines)) == len(lines) <= len(after)  # no trial (no values) ran twice
    finished = [c for c in after.values() if c.status == "finished"]
    assert len(finished) == 6 and len(lines) >= len(finished)
    assert all(int(c.tags["mlops.attempts"]) == 1 for c in finished)


@pytest.mark.slow
def test_tpe_24_reaches_the_best_of_a_64_point_random_sweep(tmp_path):
    """The issue's claim on one seed (deterministic: TPE asks and tells one trial at a time).

    The claim itself, the median over 5 seeds with 2 jobs, takes ~8 minutes of kernels: it is
    measured by bench/bench_optuna.py (bench/SWEEP.md), not here.
    """
    nb = copy_notebook("optuna_objective.ipynb", tmp_path)
    best = {}
    try:
        for label, extra in (
            ("tpe", ["--optuna", "24", "--sampler", "tpe", "--jobs", "1"]),
            ("random", ["--optuna", "64", "--sampler", "random", "--jobs", "2"]),
        ):
            args = _args(nb, *extra, "--seed", "3", "--name", label, "-p", "epochs", "1")
            assert main(args) == 0
            best[label] = _sweep(label)[1].metrics["best_val_acc"]
    finally:
        close_templates()
    assert best["tpe"] >= best["random"] * (1 - 0.005), best


def test_optuna_asks_and_tells_on_dask_workers(tmp_path, capsys):
    nb = copy_notebook("optuna_objective.ipynb", tmp_path)
    args = _args(nb, "--optuna", "3", "--jobs", "2", "--executor", "dask", "--seed", "5")
    assert main([*args, "--name", "on-dask", "-p", "epochs", "2"]) == 0, capsys.readouterr().err
    store, sweep, children = _sweep("on-dask")
    assert sweep.status == "finished" and sweep.params["sweep.executor"] == "dask"
    trials = _study(store, sweep.run_id).get_trials()
    assert [t.state.name for t in trials] == ["COMPLETE"] * 3
    for trial in trials:
        assert trial.value == pytest.approx(children[trial.number].metrics["val_acc"])


def test_median_pruning_on_dask_stops_the_trailing_points_on_their_workers(tmp_path, capsys):
    """A real LocalCluster: step metrics reach the controller through the shared store, and a
    pruned trial's worker is told through a Dask Variable to interrupt its kernel."""
    nb = copy_notebook("optuna_objective.ipynb", tmp_path)
    args = _args(nb, "--optuna", "9", "--jobs", "2", "--seed", "0", "--prune", "median")
    args += ["--executor", "dask", "--sampler", "random", "--name", "dask-pruned"]
    started = time.monotonic()
    try:
        code = main([*args, "-p", "epochs", "8", "-p", "pause", "0.3"])
    finally:
        close_templates()
    assert code == 0, capsys.readouterr().err
    store, sweep, children = _sweep("dask-pruned")
    assert sweep.params["sweep.executor"] == "dask" and sorted(children) == list(range(9))
    pruned = [c for c in children.values() if c.status == "pruned"]
    assert pruned, {i: c.status for i, c in children.items()}
    states = {t.number: t.state.name for t in _study(store, sweep.run_id).get_trials()}
    early = 0
    for child in pruned:
        assert states[int(child.tags["mlops.sweep.point"])] == "PRUNED"
        step = int(re.search(r"at step (\d+) by the median pruner", child.error or "")[1])
        (inner,) = store.search_runs(parent_run_id=child.run_id)
        curve = store.metric_history(inner.run_id, "val_acc")
        assert len(curve) >= step + 1  # its partial curve is kept
        # stopped before its last epoch, interrupted rather than left to run out
        early += len(curve) < 8 and (child.duration or 0) < 8 * 0.3
    assert early, [(c.error, c.duration) for c in pruned]
    assert time.monotonic() - started < 120


@pytest.mark.slow
def test_median_pruning_cuts_wall_time_by_30_percent_at_the_same_best_value(tmp_path):
    """The issue's claim on one seed (24 TPE trials, 12 epochs, 2 jobs; bench/bench_optuna.py
    reports more seeds). Epochs of 0.8 s, twice the bench's: a trial's fixed cost (a kernel,
    papermill, the store) cannot be pruned and grows on a slow machine, which at 0.4 s put the
    saving at 28-33 % by machine speed alone. ~3 minutes, mostly sleeping kernels."""
    nb = copy_notebook("optuna_objective.ipynb", tmp_path)
    walls, best = {}, {}
    try:
        for label, extra in (("full", []), ("pruned", ["--prune", "median"])):
            args = _args(nb, "--optuna", "24", "--jobs", "2", "--seed", "101", *extra)
            started = time.monotonic()
            code = main([*args, "--name", label, "-p", "epochs", "12", "-p", "pause", "0.8"])
            walls[label] = time.monotonic() - started
            assert code == 0
            best[label] = _sweep(label)[1].metrics["best_val_acc"]
    finally:
        close_templates()
    assert walls["pruned"] <= 0.7 * walls["full"], walls
    assert best["pruned"] >= best["full"] * (1 - 0.005), best
