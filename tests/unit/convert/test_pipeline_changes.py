"""Steps that change a value in place, without a kernel: the converter makes such a step return
the value (and every value that may share its objects), later steps take it from there, and run
step by step from files (as DVC stages and Airflow tasks run) the pipeline prints what the
notebook printed. A change made through a library call the converter cannot see is still refused
by `--check`, and `--code DIR` writes one code hash per step (a DVC stage's code dependency)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from mlops_jupyter.convert.analysis import plan_notebook
from mlops_jupyter.convert.runtime_render import producers
from mlops_jupyter.notebook.read import read_notebook
from tests.support.corpus import CORPUS_DIR
from tests.support.nbhelpers import make_notebook
from tests.support.pipelines import render_package, run_package

BANK = [
    "class Bank:\n    def __init__(self):\n        self.accounts = {}\n\n"
    "    def open(self, owner):\n        self.accounts[owner] = Account()\n"
    "        return self.accounts[owner]",
    "class Account:\n    def __init__(self):\n        self.balance = 0\n\n"
    "    def deposit(self, amount):\n        self.balance += amount",
    "#| step: open_accounts\nbank = Bank()\nalice = bank.open('alice')\nbob = bank.open('bob')",
    "#| step: transact\nalice.deposit(100)\nbob.deposit(30)",
    "#| step: totals\nprint('total', sum(a.balance for a in bank.accounts.values()))",
]


def _package(root: Path, cells: list) -> Path:
    return render_package(root, cells, "cpkg")


def _run(root: Path, *args: str) -> subprocess.CompletedProcess:
    return run_package(root, "cpkg", *args)


def _plan(name: str):
    plan = plan_notebook(read_notebook(CORPUS_DIR / f"{name}.ipynb", python_only=True))
    return {b.name: b for b in plan.steps()}, producers(plan)


def test_a_step_that_changes_an_input_returns_it_and_later_steps_take_it_from_there():
    steps, made = _plan("no_parameters")  # `data.sort()`
    assert "data" in steps["make_median"].outputs
    steps, made = _plan("out_of_order")  # `values.append(99)`
    assert "values" in steps["report"].outputs
    steps, made = _plan("classes")  # `alice.deposit()` changes `bank` too: alice is in it
    transact = steps["transact"]
    assert set(transact.inputs) == set(transact.outputs) == {"alice", "bob", "bank"}
    assert made["totals"] == {"bank": "transact"}
    assert set(steps["open_accounts"].shared) == set(transact.shared) == {"alice", "bob", "bank"}


def test_a_step_that_only_reads_or_fits_on_an_input_does_not_return_it():
    steps, _ = _plan("multi_io")  # `model.fit(X_train, y_train)`, `model.predict(X_test)`
    assert steps["fit"].outputs == ["model", "coef"]
    assert steps["evaluate"].outputs == ["scores", "mse"]


def test_values_that_share_objects_stay_one_object_when_steps_run_from_files(tmp_path):
    _package(tmp_path, BANK)
    printed = ""
    for step in ("open_accounts", "transact", "totals"):
        done = _run(tmp_path, "--step", step, "--data", "data")
        assert done.returncode == 0, done.stderr
        printed += done.stdout
    assert "total 130" in printed  # bank read from transact's files holds the deposits
    assert _run(tmp_path, "--check").stdout.strip() == "total 130"
    cached = [_run(tmp_path, "--cache", "c") for _ in range(2)]
    assert [c.stdout.strip() for c in cached] == ["total 130", ""]  # second run: all cached


def test_a_change_through_a_library_call_is_refused_by_check(tmp_path):
    cells = [
        "import random",
        "#| step: make\nxs = [3, 1, 2]",
        "#| step: mix\nrandom.Random(0).shuffle(xs)\nprint(xs)",
    ]  # no later step reads `xs`, so `mix` does not return it: from files, `xs` stays unshuffled
    _package(tmp_path, cells)
    done = _run(tmp_path, "--check")
    assert done.returncode == 2
    assert "step 'mix' changes its input 'xs' (from step 'make') in place" in done.stderr


def test_code_hashes_change_only_for_the_edited_step(tmp_path):
    package = _package(tmp_path, BANK)
    assert _run(tmp_path, "--code", "code").returncode == 0
    before = {p.name: p.read_text() for p in (tmp_path / "code").iterdir()}
    assert sorted(before) == ["open_accounts.sha256", "totals.sha256", "transact.sha256"]
    steps = package / "steps.py"
    steps.write_text(steps.read_text().replace("bob.deposit(30)", "bob.deposit(31)"))
    assert _run(tmp_path, "--code", "code").returncode == 0
    after = {p.name: p.read_text() for p in (tmp_path / "code").iterdir()}
    assert [n for n in before if before[n] != after[n]] == ["transact.sha256"]


def test_a_value_already_read_is_taken_from_the_step_that_changed_what_it_shares():
    cells = [*BANK[:3], "#| step: transact\nprint(len(bank.accounts))\nalice.deposit(100)", BANK[4]]
    plan = plan_notebook(make_notebook(cells))
    assert producers(plan)["totals"] == {"bank": "transact"}


def test_a_shared_object_the_converter_cannot_see_is_refused_by_check(tmp_path):
    cells = [
        "#| step: make\nrows = [[1], [2]]\nfirst = next(iter(rows))",  # a call: not seen as a view
        "#| step: grow\nfirst.append(5)",
        "#| step: show\nprint(rows)",
    ]
    _package(tmp_path, cells)
    done = _run(tmp_path, "--check")
    assert done.returncode == 2, done.stdout
    assert (
        "step 'grow' changes a value that shares objects with its inputs, 'rows' (from step "
        "'make') in place without returning it" in done.stderr
    )
