"""The command line on notebooks it must run (`convert` captures step values in a real kernel):
one clear message and a non-zero exit on failure, nothing written."""

from __future__ import annotations

import json

from tests.support.corpus import CORPUS_DIR, run_cli


def test_convert_refuses_a_non_empty_output_it_did_not_write(tmp_path):
    tmp_path = tmp_path / "work"
    tmp_path.mkdir()
    target = tmp_path / "pkg"
    target.mkdir()
    (target / "old.txt").write_text("old")
    notebook = str(CORPUS_DIR / "empty.ipynb")
    for force in ((), ("--force",)):  # --force never replaces a folder of the user's
        done = run_cli("convert", notebook, "-o", str(target), *force, "--no-verify")
        assert done.returncode == 2 and "was not written by mlops-jupyter" in done.stderr
        assert (target / "old.txt").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pkg"]  # no staging left behind


def test_convert_of_a_notebook_that_raises_names_the_cell_and_writes_nothing(tmp_path):
    tmp_path = tmp_path / "work"
    tmp_path.mkdir()
    notebook = tmp_path / "fails.ipynb"
    notebook.write_text(
        json.dumps(
            {
                "nbformat": 4,
                "nbformat_minor": 5,
                "metadata": {},
                "cells": [
                    {"cell_type": "markdown", "metadata": {}, "source": "# fails"},
                    {
                        "cell_type": "code",
                        "metadata": {},
                        "source": "x = 1",
                        "outputs": [],
                        "execution_count": None,
                    },
                    {
                        "cell_type": "code",
                        "metadata": {},
                        "source": "raise ValueError(f'boom {x}')",
                        "outputs": [],
                        "execution_count": None,
                    },
                ],
            }
        )
    )
    done = run_cli("convert", str(notebook), "-o", str(tmp_path / "pkg"))
    assert done.returncode == 2
    *progress, error = done.stderr.strip().splitlines()  # capturing: cell k of n, then one error
    assert all(line.startswith("capturing: cell ") for line in progress)
    assert error == "error: cell 2 raised ValueError: boom 1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fails.ipynb"]


def test_convert_timeout_is_one_clear_message(tmp_path):
    tmp_path = tmp_path / "work"
    tmp_path.mkdir()
    notebook = tmp_path / "slow.ipynb"
    notebook.write_text(
        json.dumps(
            {
                "nbformat": 4,
                "nbformat_minor": 5,
                "metadata": {},
                "cells": [
                    {
                        "cell_type": "code",
                        "metadata": {},
                        "source": "import time\ntime.sleep(30)",
                        "outputs": [],
                        "execution_count": None,
                    }
                ],
            }
        )
    )
    done = run_cli("convert", str(notebook), "-o", str(tmp_path / "pkg"), "--timeout", "1")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == (
        "error: timed out after 1s while running cell 0; raise "
        "--timeout or make the notebook faster"
    )  # as `run` says
    assert sorted(p.name for p in tmp_path.iterdir()) == ["slow.ipynb"]
