"""nbdev's directives in the one role table (issue 18 item 6)."""

from __future__ import annotations

from mlops_jupyter.notebook.roles import ROLE_SOURCES, read_cells, roles_of
from tests.support.nbhelpers import make_notebook


def test_nbdev_directives_are_roles():
    assert roles_of("#| eval: false\nx = 1").no_eval
    assert not roles_of("#| eval: true\nx = 1").no_eval
    assert roles_of("#| notest\nassert 1 == 2").no_eval  # nbdev's default tst_flags skip it
    assert roles_of("#|export\ndef f(): ...").export
    assert roles_of("#| exporti\ndef _g(): ...").exporti
    assert roles_of("#| hide\nimport os").hide
    assert roles_of("#| hide\n#| default_exp core").module == "core"
    assert {s.tool for s in ROLE_SOURCES} >= {"nbdev"}


def test_directive_lines_leave_the_code():
    (cell,) = read_cells(make_notebook(["#| export\n#| hide\ndef f():\n    return 1"]))
    assert cell.source == "def f():\n    return 1"
    assert cell.original_line(1) == 3
