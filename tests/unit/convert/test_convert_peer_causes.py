"""The static causes traced on other people's notebooks (issue 18): false refusals, scripts that
do not compile, cells that must not run. No kernel: the plan and the exported script."""

from __future__ import annotations

import subprocess
import sys

from mlops_jupyter.convert import check_notebook, export_script
from mlops_jupyter.convert.analysis import plan_notebook
from mlops_jupyter.notebook.scopes import function_globals
from tests.support.nbhelpers import make_notebook


def _with_headings(sources: list[str]) -> dict:
    nb = make_notebook(sources)
    cells = []
    for number, cell in enumerate(nb.cells):
        cells += [{"cell_type": "markdown", "metadata": {}, "source": f"## Part {number}"}, cell]
    nb.cells = cells
    return nb


def test_comprehensions_generators_and_lambdas_are_not_later_called_functions():
    """Kale's cifar10: `sum(x for x in labels)` was read as a function reading the global
    `labels`, which a later step rebinds: a false "ambiguous dependency" refusal."""
    nb = _with_headings(
        [
            "labels = [1, 2]\npredicted = [1, 3]",
            "total = sum(x for x in labels)\nsquares = [p * p for p in predicted]\n"
            "key = sorted(labels, key=lambda v: -v + total)",
            "labels = [3]\npredicted = [4]",
        ]
    )
    assert plan_notebook(nb, collect=True).findings == []
    assert set(function_globals("f = lambda: a\ng = (b for _ in c)\ndef h():\n    return d")) == {
        "h"
    }


def test_a_star_import_is_module_level_not_a_refusal():
    """nbdev's notebooks all start with `from fastcore.utils import *`."""
    nb = make_notebook(["from math import *", "area = pi * 2 ** 2\nprint(area)"])
    assert check_notebook(nb).ok


def test_future_imports_open_the_script_even_with_a_later_star_import():
    """nbdev's 01_everything: `from __future__ import ...` in cells, a star import later."""
    nb = make_notebook(
        [
            "from __future__ import annotations",
            "from __future__ import division\nimport math",
            "from math import *\nx: int = 2\nprint(floor(pi) / x)",
        ]
    )
    script = export_script(nb)
    compile(script, "script.py", "exec")
    lines = [line for line in script.splitlines() if line and not line.startswith('"""')]
    assert lines[:2] == ["from __future__ import annotations", "from __future__ import division"]
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0 and done.stdout == "1.5\n", done.stderr


def test_eval_false_cells_are_not_exported():
    """nbdev's `#| eval: false` cells were executed by export, convert and run."""
    nb = make_notebook(["x = 1", "#| eval: false\nprint('do not print me!')", "print(x)"])
    script = export_script(nb)
    assert "do not print me" not in script
    assert "print(x)" in script


def test_code_after_a_successful_sys_exit_is_left_out():
    """papermill's sysexit notebooks: papermill stops at `sys.exit()` and reports success."""
    nb = make_notebook(["import sys", "sys.exit()", "print('Cell should not execute.')"])
    script = export_script(nb)
    assert "Cell should not execute" not in script
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0 and done.stdout == ""


def test_a_computed_parameters_line_is_not_a_parameter_and_stays_in_the_body():
    nb = make_notebook(["base = 2", ("a = 3\nd = a == 3\nscaled = base * a", ["parameters"])])
    plan = plan_notebook(nb)
    (params,) = [b for b in plan.blocks if b.kind == "parameters"]
    assert "d = a == 3" not in params.code and "a = 3" in params.code
    step = plan.steps()[-1]
    assert "d = a == 3" in step.code and step.params == ["a"] and step.inputs == ["base"]


def test_check_reports_a_non_python_notebook_as_a_finding(tmp_path):
    nb = make_notebook(["1 + 1"])
    nb.metadata["kernelspec"] = {"name": "ir", "language": "R", "display_name": "R"}
    report = check_notebook(nb)
    assert not report.ok
    assert [f.code for f in report.findings] == ["not-convertible"]
    assert "expected a Python kernel" in report.findings[0].message
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json", encoding="utf-8")
    assert [f.code for f in check_notebook(broken).findings] == ["not-convertible"]
