"""The execution CLI refuses out-of-range numbers at once, with the range (issue 9, D18, D9).

`main()` runs in-process; no kernel is started by any of these commands.
"""

from __future__ import annotations

import os
import time

import nbformat
import pytest

from mlops_jupyter.cli import main
from mlops_jupyter.execution.points import MAX_SWEEP_POINTS


@pytest.fixture
def notebook(tmp_path):
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("steps = 3  # how many", metadata={"tags": ["parameters"]}),
            nbformat.v4.new_code_cell("print(steps)"),
        ]
    )
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, str(path))
    return str(path)


def run_main(capsys, *argv: str) -> tuple[int, str]:
    try:
        code = main(list(argv))
    except SystemExit as exit_:
        code = exit_.code
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    "argv, message",
    [
        (
            ["run", "NB", "--timeout", "-1"],
            "argument --timeout: -1 is not a duration; expected seconds > 0",
        ),
        (["run", "NB", "--timeout", "0"], "argument --timeout: 0 is not a duration"),
        (
            ["sweep", "NB", "--grid", "steps=1,2", "--jobs", "0"],
            "argument --jobs/-j: 0 is out of range; expected 1 or more",
        ),
        (
            ["sweep", "NB", "--grid", "steps=1,2", "--jobs", "-5"],
            "argument --jobs/-j: -5 is out of range; expected 1 or more",
        ),
        (
            ["sweep", "NB", "--grid", "steps=1,2", "--retries", "-1"],
            "argument --retries: -1 is out of range; expected 0 or more",
        ),
        (
            ["sweep", "NB", "--random", "100000000000", "--range", "steps=1:3"],
            "argument --random: 100000000000 is out of range; "
            f"expected from 1 to {MAX_SWEEP_POINTS}",
        ),
        (
            ["reproduce", "abcd1234", "--timeout", "nan"],
            "argument --timeout: nan is not a duration",
        ),
    ],
)
def test_out_of_range_numbers_are_refused_at_once(capsys, notebook, tmp_path, argv, message):
    started = time.monotonic()
    argv = [notebook if a == "NB" else a for a in argv]
    code, err = run_main(capsys, "--store", str(tmp_path / "runs.db"), *argv)
    assert code == 2 and message in err, err
    assert time.monotonic() - started < 5
    assert not (tmp_path / "runs.db").exists()  # nothing recorded


def test_jobs_over_the_cpu_count_or_points_is_refused_with_the_cap(capsys, notebook, tmp_path):
    code, err = run_main(
        capsys,
        "--store",
        str(tmp_path / "runs.db"),
        "sweep",
        notebook,
        "--grid",
        "steps=1,2,3",
        "--jobs",
        "32",
    )
    cap = min(os.cpu_count() or 1, 3)
    assert code == 2 and f"jobs 32 is over the limit of {cap}" in err, err
    assert f"pass jobs of at most {cap}" in err


def test_a_grid_over_the_points_cap_is_refused_before_it_is_built(capsys, notebook, tmp_path):
    values = ",".join(str(i) for i in range(10_000))
    started = time.monotonic()
    code, err = run_main(
        capsys,
        "--store",
        str(tmp_path / "runs.db"),
        "sweep",
        notebook,
        "--grid",
        f"steps={values}",
        "--grid",
        f"other={values}",
    )
    assert code == 2 and f"100000000 points is over the limit of {MAX_SWEEP_POINTS}" in err, err
    assert time.monotonic() - started < 5
