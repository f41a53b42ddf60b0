"""Pre-imported kernels: forked from a template that ran the notebook's leading imports once.

Real kernels, a real template process, a real store: no state leaks between points, a module
unsafe to fork makes the sweep fall back (and say so), and the results equal fresh kernels'.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from mlops_jupyter.execution import sweep_notebook
from mlops_jupyter.execution.fork_template import close_templates
from mlops_jupyter.store import open_store


def _notebook(path: Path, cells: list[str]) -> Path:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [new_code_cell(c) for c in cells]
    nb.cells[1].metadata["tags"] = ["parameters"]
    nbformat.write(nb, str(path))
    return path


def _outputs(folder: Path) -> dict[str, list[str]]:
    """Each executed notebook's text outputs, by file name."""
    found = {}
    for file in sorted(folder.iterdir()):
        nb = json.loads(file.read_text())
        found[file.name] = [
            "".join(out.get("text") or out.get("data", {}).get("text/plain") or "")
            for cell in nb["cells"]
            for out in cell.get("outputs", ())
        ]
    return found


def test_points_share_no_state_and_each_runs_in_an_untouched_process(tmp_path):
    (tmp_path / "leaky.py").write_text(
        "import os\ncounter = 0\n"
        f"with open({str(tmp_path / 'imported.txt')!r}, 'a') as f:\n"
        "    f.write(str(os.getpid()) + '\\n')\n"
    )
    nb = _notebook(
        tmp_path / "leak.ipynb",
        [
            "import os\nimport leaky",
            "x = 0",
            "print(leaky.counter, getattr(leaky, 'mutated', None), 'G' in globals(), os.getpid())",
            "leaky.counter += 1\nleaky.mutated = x\nG = x\nos.environ['LEAK'] = 'yes'",
            "print(os.environ.get('LEAK'))",
        ],
    )
    lines: list[str] = []
    try:
        result = sweep_notebook(
            nb,
            [{"x": i} for i in range(3)],
            jobs=1,
            cwd=tmp_path,
            output_dir=tmp_path / "out",
            on_log=lines.append,
        )
    finally:
        close_templates()
    assert [p.status for p in result.points] == ["finished"] * 3
    assert lines and "forked from a template" in lines[0], lines
    imported_in = (tmp_path / "imported.txt").read_text().split()
    assert len(imported_in) == 1  # imported once, in the template, not per point
    pids = set()
    for outputs in _outputs(tmp_path / "out").values():
        counter, mutated, has_global, pid = outputs[0].split()
        assert (counter, mutated, has_global) == ("0", "None", "False")  # nothing leaked
        assert outputs[1].strip() == "yes"
        pids.add(pid)
    assert len(pids) == 3 and imported_in[0] not in pids  # a fresh process per point
    sweep = open_store().get_run(result.sweep_run_id)
    assert "forked from a template" in sweep.tags["mlops.sweep.kernels"]


def test_a_module_unsafe_to_fork_falls_back_to_fresh_kernels_and_says_so(tmp_path):
    (tmp_path / "threaded.py").write_text(
        "import threading, time\n"
        "threading.Thread(target=time.sleep, args=(60,), name='poller', daemon=True).start()\n"
    )
    nb = _notebook(
        tmp_path / "unsafe.ipynb",
        ["import json\nimport threaded", "x = 0", "print(json.dumps({'x': x}))"],
    )
    lines: list[str] = []
    try:
        result = sweep_notebook(
            nb,
            [{"x": 1}, {"x": 2}],
            jobs=1,
            cwd=tmp_path,
            output_dir=tmp_path / "out",
            on_log=lines.append,
        )
    finally:
        close_templates()
    assert [p.status for p in result.points] == ["finished"] * 2
    assert len(lines) == 1
    assert "start fresh" in lines[0] and "`import threaded` started thread(s) poller" in lines[0]
    assert "unsafe" in lines[0]
    outs = _outputs(tmp_path / "out")
    assert [o[0].strip() for o in outs.values()] == ['{"x": 1}', '{"x": 2}']
    sweep = open_store().get_run(result.sweep_run_id)
    assert "started thread(s) poller" in sweep.tags["mlops.sweep.kernels"]


def test_pre_imported_kernels_give_the_results_fresh_kernels_give(tmp_path):
    nb = _notebook(
        tmp_path / "same.ipynb",
        [
            "import gc, random\nimport numpy as np\nfrom fractions import Fraction",
            "seed = 0",
            "random.seed(seed)\nrng = np.random.default_rng(seed)\n"
            "print(random.random(), rng.normal(size=3).round(12).tolist(), Fraction(seed, 7))",
            "print(gc.isenabled(), gc.get_threshold())",  # the template imports with gc off
            "np.random.seed(seed)\nnp.arange(5) * np.random.rand(5).round(12)",
        ],
    )
    points = [{"seed": s} for s in range(2)]
    outputs = {}
    try:
        for preimport in (True, False):
            folder = tmp_path / f"out-{preimport}"
            lines: list[str] = []
            result = sweep_notebook(
                nb, points, jobs=2, preimport=preimport, output_dir=folder, on_log=lines.append
            )
            assert [p.status for p in result.points] == ["finished"] * 2
            assert bool(lines) == preimport  # fresh kernels: no template, nothing to say
            outputs[preimport] = _outputs(folder)
    finally:
        close_templates()
    assert outputs[True] == outputs[False]
    assert len(set(map(tuple, outputs[True].values()))) == 2  # the points differ from each other


def test_run_and_reproduce_fork_from_the_template_a_sweep_left_warm(tmp_path):
    from mlops_jupyter.execution import reproduce_run, run_notebook

    marker = tmp_path / "imported.txt"
    (tmp_path / "counted.py").write_text(
        f"import os\nwith open({str(marker)!r}, 'a') as f:\n    f.write(str(os.getpid()) + '\\n')\n"
    )
    nb = _notebook(
        tmp_path / "warm.ipynb",
        ["import counted", "x = 0", "import mlops_jupyter as mj\nmj.log_metric('y', x * 2.0)"],
    )
    try:
        cold = run_notebook(nb, {"x": 1}, cwd=tmp_path)  # nothing warm yet: a fresh kernel
        assert len(marker.read_text().split()) == 1
        sweep_notebook(nb, [{"x": 2}], cwd=tmp_path, keep_warm=True)  # its template stays warm
        assert len(marker.read_text().split()) == 2  # the template imported it
        warm = run_notebook(nb, {"x": 3}, cwd=tmp_path)
        verdict = reproduce_run(warm.run_id)
    finally:
        close_templates()
    assert len(marker.read_text().split()) == 2  # run and reproduce imported nothing anew
    assert cold.metrics["y"] == 2.0 and warm.metrics["y"] == 6.0
    assert verdict.reproduced


def test_later_cells_imports_are_pre_imported_and_an_unsafe_one_is_left_to_the_kernels(tmp_path):
    """Imports of cells after the leading ones are run in the template too; one that starts a
    thread is dropped there (the template restarts without it) instead of forfeiting forks."""
    log = tmp_path / "imported.txt"
    for name in ("later_safe", "threaded"):
        (tmp_path / f"{name}.py").write_text(
            f"import os, threading, time\nwith open({str(log)!r}, 'a') as f:\n"
            f"    f.write('{name} ' + str(os.getpid()) + '\\n')\n"
            + (
                "threading.Thread(target=time.sleep, args=(60,), name='poller', daemon=True)"
                ".start()\n"
                if name == "threaded"
                else ""
            )
        )
    nb = _notebook(
        tmp_path / "later.ipynb",
        ["import json", "x = 0", "y = x + 1", "import later_safe\nimport threaded\nprint(y)"],
    )
    lines: list[str] = []
    try:
        result = sweep_notebook(
            nb,
            [{"x": 1}, {"x": 2}],
            jobs=1,
            cwd=tmp_path,
            output_dir=tmp_path / "out",
            on_log=lines.append,
        )
    finally:
        close_templates()
    assert [p.status for p in result.points] == ["finished"] * 2
    assert "forked from a template" in lines[0], lines
    assert "left to the kernels" in lines[0] and "started thread(s) poller" in lines[0]
    imported = [line.split()[0] for line in log.read_text().splitlines()]
    # later_safe: in the first template (dropped with it) and the second, never per point;
    # threaded: in the first template, then in each point's kernel
    assert imported.count("later_safe") == 2 and imported.count("threaded") == 3, imported
    assert [o[-1].strip() for o in _outputs(tmp_path / "out").values()] == ["2", "3"]


def test_a_template_begun_early_is_the_one_the_sweep_forks_from(tmp_path):
    """`prestart_template` (a sweep calls it before recording its run) hands its template to the
    next pool asking for the same key, instead of that pool starting a second process."""
    import os
    import sys

    from mlops_jupyter.execution import fork_template

    env = dict(os.environ)
    marker = tmp_path / "started.txt"
    (tmp_path / "counted.py").write_text(
        f"with open({str(marker)!r}, 'a') as f:\n    f.write('x')\n"
    )
    imports = ["import counted"]
    fork_template.prestart_template(sys.executable, imports, str(tmp_path), env)
    template = fork_template.warm_template(sys.executable, imports, str(tmp_path), env, start=True)
    try:
        assert template is not None and template.usable
        assert marker.read_text() == "x"  # one template process imported it, not two
    finally:
        assert template is not None
        template.close()
        close_templates()


def test_the_command_lines_guessed_template_is_claimed_or_closed(tmp_path):
    """`prestart_guessed` (the `sweep` command calls it before importing the store) begins a
    template from the notebook file alone: a pool with the same interpreter, folder and
    environment (plus the store variables every fork gets) claims it, and a pool that needs
    another template closes it, so no guess keeps importing beside the real one."""
    import os
    import sys

    from mlops_jupyter import env as mlops_env
    from mlops_jupyter.execution import fork_template

    marker = tmp_path / "started.txt"
    (tmp_path / "counted.py").write_text(
        f"with open({str(marker)!r}, 'a') as f:\n    f.write('x')\n"
    )
    notebook = _notebook(tmp_path / "nb.ipynb", ["import counted", "x = 1"])
    imports = ["import counted"]
    env = {**os.environ, mlops_env.STORE: str(tmp_path / "runs.db")}
    try:
        fork_template.prestart_guessed(str(notebook), str(tmp_path))
        claimed = fork_template.warm_template(
            sys.executable, imports, str(tmp_path), env, start=True
        )
        assert claimed is not None and claimed.usable
        assert marker.read_text() == "x"  # the guess was the template: imported once
        claimed.close()

        fork_template.prestart_guessed(str(notebook), str(tmp_path))
        (guess,) = fork_template._STARTING.values()
        other = fork_template.warm_template(
            sys.executable, [*imports, "import json"], str(tmp_path), env, start=True
        )
        assert other is not None and other.usable and not fork_template._STARTING
        guessed = guess.result(timeout=60)
        other.close()
        guessed._process.wait(timeout=10)  # closed: the template process exits
        assert marker.read_text() == "xxx"
    finally:
        close_templates()


def test_widgets_imported_by_the_template_still_talk_to_the_frontend(tmp_path):
    """ipywidgets registers its comm target when imported in a running kernel; imported in the
    template (no kernel yet), the forked kernel loads it as an extension so the target is
    there, as in a fresh kernel (JupyterLab asks it for the widgets' state)."""
    nb = _notebook(
        tmp_path / "widgets.ipynb",
        [
            "import ipywidgets",
            "x = 0",
            "import comm\nprint('jupyter.widget' in comm.get_comm_manager().targets)",
        ],
    )
    lines: list[str] = []
    try:
        result = sweep_notebook(
            nb, [{"x": 1}], jobs=1, cwd=tmp_path, output_dir=tmp_path / "out", on_log=lines.append
        )
    finally:
        close_templates()
    assert [p.status for p in result.points] == ["finished"]
    assert "forked from a template" in lines[0], lines
    assert [o[-1].strip() for o in _outputs(tmp_path / "out").values()] == ["True"]
