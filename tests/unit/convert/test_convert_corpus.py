"""Every corpus notebook: `check` flags exactly what was planted (no kernel); a `%%track` script
runs against the real tracking API."""

from __future__ import annotations

import subprocess
import sys

import pytest

from mlops_jupyter.convert import check_notebook, export_script
from tests.support import ROOT
from tests.support.corpus import CORPUS, CORPUS_DIR, env_with_path, expected


def test_corpus_is_large_enough():
    assert len(CORPUS) >= 12


@pytest.mark.parametrize("name", CORPUS)
def test_check_flags_exactly_the_planted_problems(name):
    report = check_notebook(CORPUS_DIR / f"{name}.ipynb")
    found = sorted([f.code, f.cell] for f in report.findings)
    assert found == sorted(expected(name)["check"])
    assert report.ok is (not found)


def test_track_script_runs_against_the_real_tracking_api(tmp_path):
    script = tmp_path / "script.py"
    export_script(CORPUS_DIR / "track_magic.ipynb", script)
    env = env_with_path(ROOT)
    env["MLOPS_JUPYTER_STORE"] = str(tmp_path / "store" / "runs.db")
    done = subprocess.run(
        [sys.executable, str(script), "--lr", "0.2"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "acc=0.98\n"
    assert (tmp_path / "store" / "runs.db").exists()
