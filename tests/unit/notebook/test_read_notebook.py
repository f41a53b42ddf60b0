"""Reading a notebook: one function, one message per bad file, the same from every command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlops_jupyter.cli.main import main
from mlops_jupyter.errors import NotebookError
from mlops_jupyter.notebook.read import read_notebook

CORPUS = Path(__file__).resolve().parents[2] / "data" / "notebooks"
NB4 = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}}

# name, file content (None: the path does not exist; "DIR": a directory), message
BAD = [
    ("invalid-json", '{"cells": [', r"is not valid JSON \(line 1, column 12"),
    ("missing", None, "does not exist; check the path"),
    ("directory", "DIR", "is a directory; expected a .ipynb notebook file"),
    ("not-a-notebook", json.dumps({"a": 1}), "is JSON but not a notebook"),
    ("json-list", "[1, 2]", "is JSON but not a notebook"),
    ("cells-not-a-list", json.dumps({**NB4, "cells": {}}), "malformed 'cells' entry"),
    ("malformed-cell", json.dumps({**NB4, "cells": [1]}), "cell 0 is malformed"),
    (
        "newer-nbformat",
        json.dumps({"nbformat": 5, "nbformat_minor": 0, "cells": []}),
        "is nbformat 5, which this version of mlops-jupyter cannot read",
    ),
]
COMMANDS = {
    "params": lambda nb, out: ["params", nb],
    "check": lambda nb, out: ["check", nb],
    "export script": lambda nb, out: ["export", "script", nb, "-o", str(out / "x.py")],
    "run": lambda nb, out: ["run", nb, "--output", str(out / "x.ipynb")],
    "convert": lambda nb, out: ["convert", nb, "-o", str(out / "pkg")],
}


def _bad_notebook(folder: Path, content: str | None) -> Path:
    path = folder / "nb.ipynb"
    if content == "DIR":
        path.mkdir()
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    return path


@pytest.mark.parametrize("name, content, message", BAD, ids=[b[0] for b in BAD])
def test_every_command_gives_the_same_one_line_message(
    tmp_path, capsys, name, content, message
) -> None:
    path = _bad_notebook(tmp_path, content)
    with pytest.raises(NotebookError, match=message) as raised:
        read_notebook(path)
    expected = f"error: {raised.value}\n"
    assert str(path) in expected
    out = tmp_path / "out"
    out.mkdir()
    for command, argv in COMMANDS.items():
        if command == "check" and path.exists():  # a verdict: a finding, same message
            assert main(argv(str(path), out)) == 1
            captured = capsys.readouterr()
            assert expected.removeprefix("error: ").strip() in captured.out
            assert "[not-convertible] cannot be converted: " in captured.out
            continue
        assert main(argv(str(path), out)) == 2, command
        captured = capsys.readouterr()
        assert (captured.out, captured.err) == ("", expected), command
    assert list(out.iterdir()) == []  # nothing written, no kernel run recorded


def test_nbformat_3_is_upgraded_by_every_reader(tmp_path, capsys) -> None:
    """One behaviour for old notebooks: upgraded in memory with nbformat's converter."""
    path = CORPUS / "bad" / "nbformat3.ipynb"
    nb = read_notebook(path)
    assert nb["nbformat"] == 4
    assert [(c["cell_type"], c["source"]) for c in nb["cells"]] == [("code", "print(1)")]
    assert main(["params", str(path)]) == 0
    assert "no parameters" in capsys.readouterr().out
    assert main(["check", str(path)]) == 0
    assert "no problems found" in capsys.readouterr().out
    script = tmp_path / "old.py"
    assert main(["export", "script", str(path), "-o", str(script)]) == 0
    assert "print(1)" in script.read_text()


def test_a_loaded_dict_is_validated_like_a_file() -> None:
    with pytest.raises(NotebookError, match="the notebook is JSON but not a notebook"):
        read_notebook({"a": 1})
    nb = read_notebook({**NB4, "cells": [{"cell_type": "code", "source": ["a = 1\n", "b"]}]})
    assert nb["cells"][0] == {"cell_type": "code", "source": "a = 1\nb", "metadata": {}}


def test_only_export_and_convert_refuse_a_non_python_kernel() -> None:
    path = CORPUS / "bad" / "r_kernel.ipynb"
    assert read_notebook(path)["metadata"]["kernelspec"]["language"] == "R"
    with pytest.raises(NotebookError, match="uses a 'R' kernel; expected a Python kernel"):
        read_notebook(path, python_only=True)
