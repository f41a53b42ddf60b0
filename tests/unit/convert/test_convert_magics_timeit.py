"""Magics other people's notebooks use (issue 18 item 3): `%timeit` / `%%timeit` with `timeit`,
`%%capture` capturing, `%store` dropped (`-r` refused), display-only cell magics dropped."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from mlops_jupyter.convert import check_notebook, export_script
from mlops_jupyter.convert.magics import DROP, REFUSE, TRANSLATE, policy
from mlops_jupyter.errors import UnsupportedMagicError
from tests.support.nbhelpers import make_notebook


def _run(script: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_timeit_is_timed_with_timeit_and_reads_its_names():
    nb = make_notebook(
        ["import math\nx = 2.0", "%timeit -n 5 -r 2 math.sqrt(x)", "%%timeit -n3 -r1\ny = x * 2"]
    )
    assert check_notebook(nb).ok
    script = export_script(nb)
    out = _run(script).splitlines()
    assert re.fullmatch(r".+ per loop \(mean ± std\. dev\. of 2 runs, 5 loops each\)", out[0])
    assert re.fullmatch(r".+ per loop \(mean ± std\. dev\. of 1 run, 3 loops each\)", out[1])
    assert "y = x * 2" not in script.split("def main")[1].replace("'y = x * 2'", "")


def test_capture_captures_and_store_is_dropped():
    nb = make_notebook(
        [
            "x = 3",
            "%%capture captured\nprint('hidden', x)",
            "print(repr(captured.stdout))",
            "%store x",
            "%%markdown\n# display only",
            "%%latex\n$x$",
            "%who",
        ]
    )
    assert check_notebook(nb).ok
    assert _run(export_script(nb)) == "'hidden 3\\n'\n"


def test_store_r_reads_hidden_state_and_is_refused():
    with pytest.raises(UnsupportedMagicError, match="%store -r x"):
        export_script(make_notebook(["%store -r x", "print(x)"]))


def test_the_policy_table_names_every_new_magic():
    assert policy("line", "timeit").action == TRANSLATE
    assert policy("cell", "timeit").action == TRANSLATE
    assert policy("cell", "capture").action == TRANSLATE
    assert policy("line", "store").action == TRANSLATE
    assert {policy("cell", n).action for n in ("html", "markdown", "latex")} == {DROP}
    assert policy("line", "who").action == DROP
    assert policy("line", "prun").action == REFUSE


def test_cd_to_a_missing_folder_is_printed_and_the_script_goes_on(tmp_path):
    """IPython prints the error of `%cd missing` and runs the next line; the script stopped."""
    nb = make_notebook(["%cd no_such_folder_here", "print('still running')"])
    out = _run(export_script(nb))
    assert "No such file or directory" in out and out.endswith("still running\n")
