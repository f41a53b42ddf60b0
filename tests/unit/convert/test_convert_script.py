"""`export script`: golden output, main(**params), and a CLI that behaves like papermill's -p."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from mlops_jupyter.convert import export_script
from tests.support.corpus import CORPUS_DIR, ROOT, env_with_path

GOLDEN = ROOT / "tests" / "data" / "golden" / "script"


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(f"exported_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _notebook(tmp_path: Path, *sources: str, params: str | None = None) -> Path:
    cells = []
    if params is not None:
        cells.append(
            {
                "cell_type": "code",
                "metadata": {"tags": ["parameters"]},
                "source": params,
                "outputs": [],
                "execution_count": None,
            }
        )
    cells += [
        {"cell_type": "code", "metadata": {}, "source": s, "outputs": [], "execution_count": None}
        for s in sources
    ]
    path = tmp_path / "nb.ipynb"
    path.write_text(
        json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells})
    )
    return path


@pytest.mark.parametrize("name", ["multi_io", "magics_policy", "non_ascii"])
def test_golden_script(name):
    source = export_script(CORPUS_DIR / f"{name}.ipynb")
    golden = GOLDEN / f"{name}.py"
    if not golden.exists():
        golden.write_text(source, encoding="utf-8")
        pytest.fail(f"wrote missing golden file {golden}; review it and re-run")
    assert source == golden.read_text(encoding="utf-8")


def test_headers_name_the_source_cells():
    source = export_script(CORPUS_DIR / "multi_io.ipynb")
    assert "# %% cell 1, execution count 1 [parameters]" in source
    assert "# %% cell 7, execution count 7 [step: report; after: fit]" in source
    assert "assert mse < 0.1" not in source  # `test` cells are not part of the script


def test_main_takes_the_parameters_as_keywords(tmp_path, capsys):
    script = tmp_path / "script.py"
    export_script(CORPUS_DIR / "globals_functions.ipynb", script)
    module = _load(script)
    module.main(factor=10)
    assert capsys.readouterr().out.splitlines()[0] == "[0.5, 10.5, 20.5, 30.5]"
    with pytest.raises(
        TypeError, match=r"unknown parameter\(s\) bogus; expected one of factor, offset"
    ):
        module.main(bogus=1)


def test_cli_types_defaults_help_and_errors(tmp_path):
    nb = _notebook(
        tmp_path,
        "print(repr(flag), layers, opts, name, ratio, n + 1)",
        params="flag = False  # turn it on\nlayers = [1, 2]\nopts = {}\n"
        "name = None\nratio: float = 1  # 50% of it\nn_items = 3\nn = 1",
    )
    script = tmp_path / "nb.py"
    export_script(nb, script)

    def run(*a: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(script), *a], capture_output=True, text=True, env=env_with_path()
        )

    assert run().stdout == "False [1, 2] {} None 1 2\n"
    done = run(
        "--flag",
        "yes",
        "--layers",
        "[3]",
        "--opts",
        '{"a": 1}',
        "--name",
        "x",
        "--ratio",
        "0.5",
        "--n",
        "41",
    )
    assert done.stdout == "True [3] {'a': 1} 'x' 0.5 42\n".replace("'x'", "x")
    helptext = run("--help").stdout
    assert "--flag FLAG" in helptext and "turn it on (bool, default: False)" in helptext
    assert "50% of it (float, default: 1)" in helptext and "--n-items" in helptext
    bad = run("--n", "many")
    assert bad.returncode == 2 and "argument --n: invalid int value: 'many'" in bad.stderr
    bad = run("--layers", '{"a": 1}')
    assert bad.returncode == 2 and "invalid list value" in bad.stderr


def test_multiline_strings_keep_their_content_inside_main(tmp_path, capsys):
    nb = _notebook(
        tmp_path,
        'text = """a\n    b\nc"""\nprint(repr(text))',
        "def f():\n    return '''x\n  y'''\nprint(repr(f()))",
    )
    script = tmp_path / "s.py"
    export_script(nb, script)
    _load(script).main()
    assert capsys.readouterr().out == "'a\\n    b\\nc'\n'x\\n  y'\n"


def test_notebook_without_parameters_rejects_any(tmp_path):
    script = tmp_path / "s.py"
    export_script(_notebook(tmp_path, "x = 1"), script)
    with pytest.raises(TypeError, match=r"no parameters cell"):
        _load(script).main(x=2)


def test_a_notebook_defining_main_keeps_it(tmp_path, capsys):
    script = tmp_path / "s.py"
    export_script(
        _notebook(tmp_path, "def main():\n    return 'user main'", "print(main())"), script
    )
    module = _load(script)
    module.run_notebook()
    assert capsys.readouterr().out == "user main\n"
    assert module.main() == "user main"


def test_api_refuses_to_overwrite_a_file_it_did_not_write(tmp_path):
    from mlops_jupyter.errors import NotebookError

    target = tmp_path / "nb.py"
    target.write_text("# user's own code\n")
    nb = _notebook(tmp_path, "x = 1")
    with pytest.raises(
        NotebookError, match=r"was not written by mlops-jupyter \(a jupytext pair\?\)"
    ):
        export_script(nb, target)
    assert target.read_text() == "# user's own code\n"
    export_script(nb, target, overwrite=True)
    export_script(nb, target)  # our own output is replaced without asking
    assert target.read_text().startswith('"""Script exported by mlops-jupyter')
