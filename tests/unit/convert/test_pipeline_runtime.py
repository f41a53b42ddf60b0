"""The step cache of a converted package, without a kernel: the package is rendered from the
plan (no captured values) and run with `python -m`. A step re-runs when its own code changes
(and the steps after it do), a damaged cache entry is run again, and bad runtime options are one
clear line with exit code 2."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.support.pipelines import render_package, run_package, step_lines

CELLS = [
    ("n = 3  # how many", ["parameters"]),
    "#| step: a\nxs = list(range(n))",
    "#| step: b\ntotal = sum(xs)",
    "#| step: c\nprint(total * 2)",
]


def _package(root: Path) -> Path:
    return render_package(root, CELLS, "upkg")


def _run(root: Path, *args: str) -> subprocess.CompletedProcess:
    return run_package(root, "upkg", *args)


def test_editing_one_step_reruns_it_and_the_steps_after_it(tmp_path):
    package = _package(tmp_path)
    cache = str(tmp_path / "cache")
    first = _run(tmp_path, "--cache", cache)
    assert first.returncode == 0 and first.stdout == "6\n", first.stderr
    assert step_lines(first.stderr) == {"a": "ran", "b": "ran", "c": "ran"}
    second = _run(tmp_path, "--cache", cache)
    assert step_lines(second.stderr) == dict.fromkeys("abc", "cached")
    assert second.stdout == ""  # cached steps do not run, so they print nothing
    steps = package / "steps.py"
    steps.write_text(steps.read_text().replace("sum(xs)", "sum(xs) + 1"))
    third = _run(tmp_path, "--cache", cache)
    assert step_lines(third.stderr) == {"a": "cached", "b": "ran", "c": "ran"}
    assert third.stdout == "8\n"
    fourth = _run(tmp_path, "--cache", cache, "--n", "4")
    assert step_lines(fourth.stderr) == {"a": "ran", "b": "ran", "c": "ran"}


def test_a_damaged_cache_entry_runs_the_step_again(tmp_path):
    _package(tmp_path)
    cache = tmp_path / "cache"
    assert _run(tmp_path, "--cache", str(cache)).returncode == 0
    (entry,) = (cache / "a").iterdir()
    (entry / "xs.pkl").write_bytes(b"not the pickle that was written")
    again = _run(tmp_path, "--cache", str(cache))
    assert again.returncode == 0, again.stderr
    assert step_lines(again.stderr) == {"a": "ran", "b": "cached", "c": "cached"}


def test_runtime_options_refuse_bad_values_with_one_line(tmp_path):
    _package(tmp_path)
    force = _run(tmp_path, "--force", "nope")
    assert force.returncode == 2
    assert force.stderr.strip() == ("error: --force 'nope': no such step; expected one of a, b, c")
    alone = _run(tmp_path, "--step", "b", "--data", str(tmp_path / "data"))
    assert alone.returncode == 2
    assert "step 'b': input 'xs' is missing" in alone.stderr
    assert "run step 'a' first" in alone.stderr
    assert _run(tmp_path, "--step", "a", "--data", str(tmp_path / "data")).returncode == 0
    done = _run(tmp_path, "--step", "b", "--data", str(tmp_path / "data"))
    assert done.returncode == 0 and (tmp_path / "data" / "b" / "total.pkl").is_file()
    assert "pipeline options" in _run(tmp_path, "--help").stdout
