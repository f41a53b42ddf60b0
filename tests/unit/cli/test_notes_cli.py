"""`mlops-jupyter runs note RUN [TEXT]`, as a user types it: set, show, read stdin, clear, and a
refused note (exit 2, one line naming the limit)."""

from __future__ import annotations

import subprocess
import sys

import mlops_jupyter as mj


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mlops_jupyter.cli", *args],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=120,
    )


def test_runs_note_sets_shows_and_clears_a_note() -> None:
    with mj.start_run("baseline") as run:
        pass
    short = run.run_id[:8]
    done = cli("runs", "note", short, "lr too high: *diverged*")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"note set on run {short} (baseline)"
    assert cli("runs", "note", short).stdout == "lr too high: *diverged*\n"
    assert cli("runs", "note", short, "-", stdin="from\nstdin\n").returncode == 0
    assert mj.open_store().get_run(run.run_id).tags["mlops.note"] == "from\nstdin\n"
    shown = cli("runs", "show", short).stdout
    assert "\nnote:\n  from\n  stdin\n" in shown and "mlops.note" not in shown
    assert "note cleared" in cli("runs", "note", short, "").stdout
    assert cli("runs", "note", short).stdout == ""
    refused = cli("runs", "note", short, "x" * 8001)
    assert refused.returncode == 2
    assert "the limit is 8000" in refused.stderr and "Traceback" not in refused.stderr
