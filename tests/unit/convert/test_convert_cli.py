"""The command line: one clear message and a non-zero exit on bad input, nothing written."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from tests.support.corpus import CORPUS_DIR, run_cli

BAD = CORPUS_DIR / "bad"


@pytest.mark.parametrize(
    "notebook, message",
    [
        (BAD / "invalid_json.ipynb", r"invalid_json.ipynb is not valid JSON \(line 1, column 34"),
        (BAD / "r_kernel.ipynb", r"uses a 'R' kernel; expected a Python kernel"),
        (
            CORPUS_DIR / "refused_magic.ipynb",
            r"cell 1, line 1: the magic '%prun' has no plain-Python",
        ),
        (BAD / "missing.ipynb", r"missing.ipynb does not exist; check the path"),
    ],
    ids=["invalid-json", "r-kernel", "refused-magic", "missing"],
)
@pytest.mark.parametrize("command", ["export", "convert"])
def test_bad_input_one_message_nonzero_exit_nothing_written(notebook, message, command, tmp_path):
    tmp_path = tmp_path / "work"
    tmp_path.mkdir()
    output = tmp_path / ("out.py" if command == "export" else "pkg")
    args = (
        ["export", "script", str(notebook), "-o", str(output)]
        if command == "export"
        else ["convert", str(notebook), "-o", str(output)]
    )
    done = run_cli(*args)
    assert done.returncode == 2
    assert done.stdout == ""
    lines = [ln for ln in done.stderr.splitlines() if not ln.startswith("[IPKernelApp]")]
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert re.search(message, lines[0]), lines[0]
    assert list(tmp_path.iterdir()) == []


def test_failed_export_leaves_an_existing_output_untouched(tmp_path):
    tmp_path = tmp_path / "work"
    tmp_path.mkdir()
    output = tmp_path / "out.py"
    output.write_text("KEEP")
    done = run_cli("export", "script", str(CORPUS_DIR / "refused_magic.ipynb"), "-o", str(output))
    assert done.returncode == 2 and output.read_text() == "KEEP"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.py"]


def test_check_exit_codes_and_json(tmp_path):
    clean = run_cli("check", str(CORPUS_DIR / "multi_io.ipynb"))
    assert clean.returncode == 0 and "no problems found" in clean.stdout
    flagged = run_cli("check", str(CORPUS_DIR / "out_of_order.ipynb"))
    assert flagged.returncode == 1
    assert (
        "[out-of-order] cell 2 was executed (count 2) before cell 1 above it (count 4)"
        in flagged.stdout
    )
    assert "2 problem(s)" in flagged.stdout
    report = json.loads(run_cli("check", "--json", str(CORPUS_DIR / "refused_magic.ipynb")).stdout)
    assert report["ok"] is False
    assert [(f["code"], f["cell"], f["line"]) for f in report["findings"]] == [
        ("unsupported-magic", 1, 1),
        ("unsupported-magic", 2, 2),
        ("unsupported-magic", 3, 1),
        ("unsupported-magic", 4, 1),
    ]
    broken = run_cli("check", str(BAD / "invalid_json.ipynb"))  # a verdict, not an error
    assert broken.returncode == 1 and "[not-convertible] cannot be converted: " in broken.stdout


def test_export_default_output_and_stdout(tmp_path):
    notebook = tmp_path / "my notebook.ipynb"
    shutil.copy(CORPUS_DIR / "non_ascii.ipynb", notebook)
    done = run_cli("export", "script", str(notebook))
    assert done.returncode == 0 and f"wrote {tmp_path / 'my notebook.py'}" in done.stderr
    written = (tmp_path / "my notebook.py").read_text(encoding="utf-8")
    to_stdout = run_cli("export", "script", str(notebook), "-o", "-")
    assert to_stdout.stdout == written and "températures" in written


def test_convert_rejects_a_package_name_that_is_not_an_identifier(tmp_path):
    done = run_cli("convert", str(CORPUS_DIR / "empty.ipynb"), "-o", str(tmp_path / "my-pkg"))
    assert done.returncode == 2
    assert (
        "'my-pkg' is not a Python identifier; expected letters, digits and underscores, "
        "e.g. 'my_pkg'" in done.stderr
    )


def test_export_does_not_overwrite_a_file_it_did_not_write(tmp_path):
    notebook = tmp_path / "nb.ipynb"
    shutil.copy(CORPUS_DIR / "no_parameters.ipynb", notebook)
    paired = tmp_path / "nb.py"
    paired.write_text("# %% a jupytext pair the user edits\nx = 1\n")
    done = run_cli("export", "script", str(notebook))
    assert (
        done.returncode == 2
        and "was not written by mlops-jupyter (a jupytext pair?)" in done.stderr
    )
    assert paired.read_text().startswith("# %% a jupytext pair")
    assert run_cli("export", "script", str(notebook), "--force").returncode == 0
    assert run_cli("export", "script", str(notebook)).returncode == 0  # ours now: re-export is fine
    assert "statistics.median(data)" in paired.read_text()


@pytest.mark.parametrize(
    "nb, message",
    [
        ({"nbformat": 4, "cells": [42]}, "cell 0 is malformed"),
        ({"nbformat": 4, "cells": [{"cell_type": "widget"}]}, "cell 0 is malformed"),
        (
            {"nbformat": 4, "cells": [{"cell_type": "code", "source": 3}]},
            "cell 0 has a source that is not text",
        ),
        ({"nbformat": 4, "cells": {}}, "malformed 'cells' entry"),
        ([1, 2], "JSON but not a notebook"),
    ],
)
def test_malformed_notebooks_are_clear_errors(nb, message):
    from mlops_jupyter.convert import export_script
    from mlops_jupyter.errors import NotebookError

    with pytest.raises(NotebookError, match=message):
        export_script(nb) if isinstance(nb, dict) else _export_json(nb)


def _export_json(data):
    import tempfile
    from pathlib import Path

    from mlops_jupyter.convert import export_script

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "nb.ipynb"
        path.write_text(json.dumps(data))
        export_script(path)


def test_convert_with_an_unknown_kernel_is_one_clear_message(tmp_path):
    tmp_path = tmp_path / "work"
    tmp_path.mkdir()
    done = run_cli(
        "convert",
        str(CORPUS_DIR / "empty.ipynb"),
        "-o",
        str(tmp_path / "pkg"),
        "--kernel",
        "no-such-kernel",
    )
    assert done.returncode == 2
    assert done.stderr.strip().startswith(
        "error: no kernel named 'no-such-kernel'; installed kernels: 'python3'"
    )  # the same message as `run`
    assert done.stderr.count("\n") == 1  # one line
    assert list(tmp_path.iterdir()) == []
