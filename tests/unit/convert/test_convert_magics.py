"""Cell roles and the magic policy table: each policy kind, and errors that name cell and line."""

from __future__ import annotations

import pytest

from mlops_jupyter.convert.magics import POLICIES, policy
from mlops_jupyter.convert.translate import translate_cell
from mlops_jupyter.errors import NotebookError, UnsupportedMagicError
from mlops_jupyter.notebook.roles import read_cells


def _cells(*sources, tags=None):
    return {
        "cells": [
            {"cell_type": "code", "metadata": {"tags": tags or []}, "source": s} for s in sources
        ]
    }


def _translate(source, collect=False):
    return translate_cell(read_cells(_cells(source))[0], collect=collect)


def test_roles_from_tags_and_comments():
    nb = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": "# title"},
            {
                "cell_type": "code",
                "metadata": {"tags": ["step:load", "after:a,b"]},
                "source": "x = 1",
            },
            {
                "cell_type": "code",
                "metadata": {},
                "source": "#| step: clean\n#| after: load\n#| nbdev: x\ny = 2",
            },
            {"cell_type": "code", "metadata": {}, "source": "%%time\n#| skip\nz = 3"},
            {"cell_type": "code", "metadata": {}, "source": "#|test\nassert y"},
            {"cell_type": "code", "metadata": {}, "source": "w = 1\n#| step: late"},
        ]
    }
    load, clean, timed, test, late = read_cells(nb)
    assert (load.index, load.step, load.after) == (1, "load", ("a", "b"))
    assert (clean.step, clean.after) == ("clean", ("load",))
    assert clean.source == "#| nbdev: x\ny = 2" and clean.original_line(2) == 4
    assert timed.skip and timed.magic_line == "%%time" and timed.source == "%%time\nz = 3"
    assert test.test and late.step is None  # directives only count at the top of a cell


def test_kale_tags_are_understood():
    nb = {
        "cells": [
            {"cell_type": "code", "metadata": {"tags": ["pipeline-parameters"]}, "source": "a = 1"},
            {
                "cell_type": "code",
                "metadata": {"tags": ["block:load", "prev:setup"]},
                "source": "x = 1",
            },
            {
                "cell_type": "code",
                "metadata": {"tags": ["imports", "pipeline-metrics"]},
                "source": "import os",
            },
        ]
    }
    params, load, imports = read_cells(nb)
    assert params.parameters and (load.step, load.after) == ("load", ("setup",))
    assert not (imports.step or imports.skip or imports.test or imports.parameters)


def test_bad_step_name_is_an_error_naming_the_cell():
    with pytest.raises(
        NotebookError, match=r"cell 0: step name '2fast' .* not a Python identifier"
    ):
        read_cells(_cells("#| step: 2fast\nx = 1"))


@pytest.mark.parametrize(
    "source, expected",
    [
        # housekeeping magics leave nothing behind; inside a block, a bare `pass`
        ("%matplotlib inline\nx = 1", "x = 1"),
        ("%load_ext mlops_jupyter", ""),
        ("%config InlineBackend.figure_format = 'svg'", ""),
        ("if x:\n    %matplotlib inline", "if x:\n    pass"),
        ("!ls -l", "_sh('ls -l', {**globals(), **locals()})"),
        ("files = !ls", "files = _sh_lines('ls', {**globals(), **locals()})"),
        ("out = %sx echo {x}", "out = _sh_lines('echo {x}', {**globals(), **locals()})"),
        ("home = %env HOME", "home = os.environ['HOME']"),
        (
            "for i in range(2):\n    !echo {i}",
            "for i in range(2):\n    _sh('echo {i}', {**globals(), **locals()})",
        ),
        ("%env A=1", "os.environ['A'] = '1'\nprint('env: A=1')"),
        ("%env HOME", "os.environ['HOME']"),
        ("%cd /tmp", "_cd('/tmp')"),
        ("%time y = f()", "_time_start = _now()\ny = f()\n_print_time(_time_start)"),
        ("%%time\na = 1\nb = 2", "_time_start = _now()\na = 1\nb = 2\n_print_time(_time_start)"),
        (
            "%%bash\necho $HOME\n%not a magic here",
            "_sh('echo $HOME\\n%not a magic here\\n', shell='bash')",
        ),
        ("%%writefile -a out.txt\nline {x}", "_write_file('out.txt', 'line {x}\\n', append=True)"),
        ("%%html\n<b>x</b>", ""),
        (
            "%load_ext mlops_jupyter\n%track start my run --experiment e\nx = 1\n"
            "%track log lr=0.1 opt=adam\n%track status\n%track stop",
            "mlops_jupyter.start_run(name='my run', experiment='e')\nx = 1\n"
            "mlops_jupyter.log_metric('lr', 0.1)\nmlops_jupyter.log_param('opt', 'adam')\n"
            "mlops_jupyter.end_run()",
        ),
        ("x = 1 % 2\ny = (3\n% 2)", "x = 1 % 2\ny = (3\n% 2)"),  # plain Python is left alone
        ("s = '''\n!not a command\n'''", "s = '''\n!not a command\n'''"),
    ],
)
def test_translation(source, expected):
    assert _translate(source).code == expected


@pytest.mark.parametrize(
    "source, requirements",
    [
        ("%pip install numpy 'pandas>=2'", ["numpy", "pandas>=2"]),
        ("!pip install -q -U scikit-learn", ["scikit-learn"]),
        ("!python -m pip install -r reqs.txt --index-url http://x tqdm", ["-r reqs.txt", "tqdm"]),
        ("%conda install -y scipy", ["scipy"]),
    ],
)
def test_package_installs_move_to_requirements(source, requirements):
    result = _translate(source)
    assert result.requirements == requirements
    assert result.code.startswith("pass  #")


def test_track_cell_records_what_the_magic_records():
    """Params: the names the cell reads (+ --params); metrics: the names it assigns
    (+ --metrics); the last expression is what the notebook shows (kept unless --no-capture)."""
    result = _translate(
        "%%track --name base --experiment e1 --params wd --metrics loss "
        "--tag team=ml\nacc = 1 - lr\ns = '''x\ny'''\nframe.head(2)  # shown"
    )
    assert result.code == (
        "with mlops_jupyter.track_cell(['lr', 'frame', 'wd'], locals(), globals(), "
        "name='base', experiment='e1', tags={'team': 'ml'}) as _track:\n"
        "    acc = 1 - lr\n    s = '''x\ny'''\n    _track.shown(frame.head(2))  # shown\n"
        "    _track.metrics(['acc', 's', 'loss'], locals(), globals())\n"
        "    _track.models(['acc', 's'], locals(), globals())"
    )
    assert "_track.shown" not in _translate("%%track --no-capture\nx").code
    # the fitted models among the assigned names are logged, as the magic does (--no-models)
    assert "_track.models" not in _translate("%%track --no-models\nm = fit()").code
    assert result.imports == {"mlops_jupyter"}
    compile(result.code, "<cell>", "exec")


@pytest.mark.parametrize(
    "source, magic, line",
    [
        ("x = 1\n%prun x + 1", "%prun", 2),
        ("%%ruby\nputs 1", "%%ruby", 1),
        ("%%writefile a.txt b.txt\nhello", "%%writefile a.txt b.txt", 1),
        ("%run other.py", "%run", 1),
        ("a = 1\n\nlen?", "?", 3),
        ("y = %who_ls", "%who_ls", 1),
        ("%%track --bogus\nx = 1", "%%track --bogus", 1),
        ("%track rewind", "%track rewind", 1),
    ],
)
def test_refused_magics_name_cell_and_line(source, magic, line):
    with pytest.raises(UnsupportedMagicError) as info:
        _translate(source)
    err = info.value
    assert (err.magic, err.cell_index, err.line) == (magic, 0, line)
    assert str(err).startswith(f"cell 0, line {line}: the magic {magic!r}")
    assert len(_translate(source, collect=True).refused) == 1


def test_line_numbers_count_removed_role_comments():
    cells = read_cells(_cells("#| step: a\n#| after: b\nx = 1\n%prun f()"))
    with pytest.raises(UnsupportedMagicError, match="cell 0, line 4"):
        translate_cell(cells[0])


def test_policy_table_is_declarative_and_complete():
    actions = {p.action for p in POLICIES}
    assert actions == {"drop", "translate", "requirements"}
    assert policy("line", "matplotlib").action == "drop"
    assert policy("cell", "bash").action == "translate"
    assert policy("line", "pip").action == "requirements"
    assert policy("line", "never_heard_of_it").action == "refuse"
    assert len({(p.kind, p.name) for p in POLICIES}) == len(POLICIES)


def test_magic_looking_lines_inside_strings_are_left_alone():
    result = _translate('!echo hi\ns = """\n!not a command\n%nor this\n"""')
    assert (
        result.code
        == '_sh(\'echo hi\', {**globals(), **locals()})\ns = """\n!not a command\n%nor this\n"""'
    )
