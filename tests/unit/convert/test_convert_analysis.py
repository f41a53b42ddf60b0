"""Dependency analysis: what each step reads, writes and may modify, and what is ambiguous."""

from __future__ import annotations

import pytest

from mlops_jupyter.convert.analysis import plan_notebook
from mlops_jupyter.notebook.names import scan


def _nb(*cells):
    out = []
    for cell in cells:
        source, tags = cell if isinstance(cell, tuple) else (cell, [])
        out.append({"cell_type": "code", "metadata": {"tags": tags}, "source": source})
    return {"cells": out}


def _steps(*cells):
    plan = plan_notebook(_nb(*cells), collect=True)
    return plan, {b.name: b for b in plan.steps()}


@pytest.mark.parametrize(
    "code, reads, writes",
    [
        ("x += 1", ["x"], ["x"]),
        ("a, (b, *c) = t", ["t"], ["a", "b", "c"]),
        ("y = [i * k for i in items if i]", ["items", "k"], ["y"]),
        ("d = {k: v for k, v in pairs}", ["pairs"], ["d"]),
        ("for i in range(n):\n    total = total + i", ["n", "total"], ["i", "total"]),
        ("x = 1\ndel x", [], ["x"]),
        ("import numpy as np, os.path\nfrom a import b as c", [], ["np", "os", "c"]),
        ("with open(p) as fh:\n    text = fh.read()", ["p"], ["fh", "text"]),
        ("if (m := f(q)):\n    pass", ["f", "q"], ["m"]),
        ("f = lambda z: z + w", ["w"], ["f"]),
        ("try:\n    v = g()\nexcept ValueError as err:\n    v = str(err)", ["g"], ["v", "err"]),
        (
            "class K(Base):\n    size = default_size\n    def m(self):\n        return later",
            ["Base", "default_size"],
            ["K"],
        ),
        ("def f(a=default):\n    return a + hidden", ["default"], ["f"]),
    ],
)
def test_reads_before_writes_and_writes(code, reads, writes):
    usage = scan(code)
    assert sorted(
        n for n in usage.reads if n not in {"range", "open", "ValueError", "str"}
    ) == sorted(reads)
    assert sorted(usage.writes) == sorted(writes)


def test_function_bodies_are_deferred_reads_resolved_at_the_call():
    usage = scan("def f():\n    global counter\n    counter += step\n    return helper()")
    assert usage.reads == {} and usage.deferred == {"f": {"counter", "step", "helper"}}
    caller = scan("r = f()", known_deferred=usage.deferred)
    assert set(caller.reads) == {"f", "counter", "step", "helper"}


@pytest.mark.parametrize(
    "code, modified",
    [
        ("df.dropna(inplace=True)", {"df"}),
        ("df['c'] = 1", {"df"}),
        ("obj.attr = 2", {"obj"}),
        ("normalize(frame, scale)", {"frame", "scale"}),
        ("print(x, len(y))", set()),
        ("del cache['k']", {"cache"}),
        ("model.fit(X, y=target)", {"model", "X", "target"}),
        ("rows[0].append(1)", {"rows"}),
    ],
)
def test_possible_in_place_modification(code, modified):
    assert set(scan(code).modified) == modified


def test_dynamic_namespace_and_star_import_are_reported():
    usage = scan("from m import *\nv = globals()['x']\nexec('y = 1')")
    assert [line for line, _ in usage.ambiguous] == [2, 3]  # a star import is module level
    assert usage.star_import
    assert usage.star_import


def test_steps_get_inputs_params_and_outputs():
    plan, steps = _steps(
        ("n = 5  # rows\nscale = 2.0", ["parameters"]),
        "import math",
        "#| step: load\ndata = list(range(n))\nextra = 1",
        "#| step: clean\ndata.append(-1)\nlo, hi = min(data), max(data)",
        "#| step: report\nprint(lo * scale, hi, math.pi, len(data))",
    )
    assert plan.findings == []
    load, clean, report = steps["load"], steps["clean"], steps["report"]
    assert (load.params, load.inputs, load.outputs) == (["n"], [], ["data"])
    assert (clean.inputs, clean.outputs) == (["data"], ["lo", "hi", "data"])
    assert (report.inputs, report.params) == (["lo", "hi", "data"], ["scale"])
    assert report.depends == ["clean"] and report.outputs == []
    assert [b.kind for b in plan.blocks] == ["parameters", "module", "step", "step", "step"]


def test_untagged_cells_join_the_step_above_and_definitions_go_to_module_level():
    plan, steps = _steps(
        "x = 1",
        "def helper(v):\n    return v * 2",
        "#| step: work\ny = helper(x)",
        "z = y + 1",
        "def uses_global():\n    return z",
    )
    assert [(b.kind, b.name) for b in plan.blocks] == [
        ("step", "step_0"),
        ("module", "cell_1"),
        ("step", "work"),
    ]
    assert [p.cell.index for p in steps["work"].parts] == [2, 3, 4]
    assert steps["work"].inputs == ["x"]


def test_function_defined_in_a_step_closes_over_its_globals():
    plan, steps = _steps(
        ("k = 3", ["parameters"]),
        "#| step: a\ndef f(v):\n    return v * k",
        "#| step: b\nout = f(2)",
    )
    assert steps["a"].params == ["k"] and steps["a"].outputs == ["f"]
    assert steps["b"].inputs == ["f"] and plan.findings == []


def test_late_binding_of_a_reassigned_global_is_ambiguous():
    plan, _ = _steps(
        "#| step: a\nk = 1\n", "#| step: b\ndef f():\n    return k", "#| step: c\nk = 2\nprint(f())"
    )
    assert [(f.code, f.cell) for f in plan.findings] == [("ambiguous-dependency", 1)]
    assert "reassigns later" in plan.findings[0].message


@pytest.mark.parametrize(
    "cells, finding",
    [
        (["print(a)", "a = 1"], ("use-before-def", 0, 1)),
        (["x = 1", "print(ghost)"], ("undefined-name", 1, 1)),
        (["x = 1\ndel x", "y = 2\nprint(x)"], ("use-before-def", 1, 2)),
        (
            [("#| step: a\nx = 1", []), ("#| step: b\n#| after: nope\ny = 2", [])],
            ("unknown-step", 1, 1),
        ),
        (["#| step: a\nx = 1", "#| step: a\ny = 2"], ("duplicate-step", 1, 1)),
        (["def f():\n    global g\n    g = 1"], ("ambiguous-dependency", 0, 1)),
        (["x = 1 +"], ("syntax-error", 0, 1)),
    ],
)
def test_findings_are_located(cells, finding):
    plan = plan_notebook(_nb(*cells), collect=True)
    assert [(f.code, f.cell, f.line) for f in plan.findings] == [finding]


def test_parameters_of_immutable_types_are_never_step_outputs():
    _, steps = _steps(
        ("n = 3\nitems = [1]", ["parameters"]),
        "#| step: a\nr = f(n, items)\ndef f(*a):\n    pass",
        "#| step: b\nprint(n, items)",
    )
    assert steps["a"].outputs == ["items"]
    assert steps["b"].params == ["n"] and steps["b"].inputs == ["items"]


def test_after_pointing_down_into_a_dependency_cycle_is_ambiguous():
    plan, _ = _steps("#| step: a\n#| after: b\nx = 1", "#| step: b\ny = x + 1")
    assert [(f.code, f.cell) for f in plan.findings] == [("ambiguous-dependency", 0)]
    assert "steps a -> b -> a depend on each other" in plan.findings[0].message


def test_after_pointing_down_without_data_dependency_reorders_steps():
    from mlops_jupyter.convert.package import step_order

    plan, _ = _steps("#| step: a\n#| after: b\nx = 1", "#| step: b\ny = 2")
    assert plan.findings == [] and [b.name for b in step_order(plan)] == ["b", "a"]


def test_get_ipython_is_refused_and_display_is_imported():
    plan = plan_notebook(_nb("ip = get_ipython()\nip.run_line_magic('who', '')"), collect=True)
    assert [(f.code, f.cell, f.line) for f in plan.findings] == [("unsupported-magic", 0, 1)]
    plan = plan_notebook(_nb("display([1])"), collect=True)
    assert plan.findings == [] and "from IPython.display import display" in plan.imports


def test_without_step_roles_markdown_headings_start_steps():
    nb = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": "# Title"},
            {"cell_type": "code", "metadata": {}, "source": "import os"},
            {"cell_type": "code", "metadata": {}, "source": "x = 1"},
            {"cell_type": "markdown", "metadata": {}, "source": "## Load the données\nsome text"},
            {"cell_type": "code", "metadata": {}, "source": "y = x + 1"},
            {"cell_type": "code", "metadata": {}, "source": "z = y"},
            {"cell_type": "markdown", "metadata": {}, "source": "## 2. Train"},
            {"cell_type": "code", "metadata": {}, "source": "w = z * 2"},
            {"cell_type": "markdown", "metadata": {}, "source": "### Load the données"},
            {"cell_type": "code", "metadata": {}, "source": "print(w)"},
        ]
    }
    plan = plan_notebook(nb)
    assert [(b.kind, b.name, [p.cell.index for p in b.parts]) for b in plan.blocks] == [
        ("module", "cell_1", [1]),
        ("step", "step_2", [2]),
        ("step", "load_the_donnees", [4, 5]),
        ("step", "step_2_train", [7]),
        ("step", "load_the_donnees_2", [9]),
    ]
    assert plan.findings == []
    nb["cells"][2]["source"] = "#| step: only\nx = 1"  # one explicit step: headings are ignored
    assert [b.name for b in plan_notebook(nb).steps()] == ["only"]


def test_step_named_like_a_module_level_function_is_reported():
    plan, _ = _steps("def load(p):\n    return p", "#| step: load\nx = load(1)")
    assert [(f.code, f.cell) for f in plan.findings] == [("duplicate-step", 1)]
    assert (
        "clashes with a name in steps.py (cell 0 defines it at module level)"
        in plan.findings[0].message
    )


def test_definitions_reading_a_later_module_name_at_definition_time_stay_in_order():
    plan, _ = _steps(
        "class A:\n    size = LIMIT",
        "LIMIT = 3",
        "def f():\n    return g()",
        "def g():\n    return 1",
    )
    assert [(b.kind, [p.cell.index for p in b.parts]) for b in plan.blocks] == [
        ("step", [0, 1]),
        ("module", [2]),
        ("module", [3]),
    ]


def test_leading_imports_of_a_code_cell_go_to_module_level():
    plan, steps = _steps(
        "%matplotlib inline\nimport numpy as np\nnp.random.seed(0)\nx = np.arange(3)",
        "#| step: use\nimport math\ny = math.pi * x.sum()",
        "import os; z = 1",
        "#| step: late\nw = 1\nimport json",
    )
    assert [(b.kind, b.name, b.code) for b in plan.blocks] == [
        ("module", "cell_0", "import numpy as np"),  # the housekeeping magic leaves nothing
        ("step", "step_0", "np.random.seed(0)\nx = np.arange(3)"),
        ("module", "cell_1", "import math"),
        ("step", "use", "y = math.pi * x.sum()\n\nimport os; z = 1"),
        ("step", "late", "w = 1\nimport json"),
    ]
    assert steps["use"].inputs == ["x"] and steps["step_0"].outputs == ["x"]
