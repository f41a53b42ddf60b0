"""`export airflow`: the converted package plus an Airflow 3 DAG written with the TaskFlow API,
one task per step; outputs travel as files (XCom carries their paths), parameters as DAG params."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from mlops_jupyter.convert.export_common import (
    MARKER,
    Exported,
    check_own_files,
    convert_for_export,
    stage_table,
    write_files,
)

# Parameter types as JSON-schema types, which Airflow's Param validates.
_SCHEMA_TYPES = {
    "int": "integer",
    "float": "number",
    "str": "string",
    "bool": "boolean",
    "list": "array",
    "dict": "object",
}


@dataclass
class AirflowExport:
    """What ``export_airflow`` wrote."""

    directory: Path
    package: str
    stages: list[str]
    files: list[str]
    dag_id: str


def export_airflow(
    notebook: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    package: str | None = None,
    timeout: int = 600,
    kernel_name: str = "python3",
    verify: bool = True,
) -> AirflowExport:
    """Export a notebook as an Airflow DAG in ``output`` (a folder to put in the dags folder).

    The DAG file (``PACKAGE_dag.py``) has one TaskFlow task per step. A task runs its step alone
    in a subprocess (``python -m PACKAGE --step NAME``, with the interpreter named by
    ``PACKAGE_PYTHON``, default the worker's), so Airflow and the notebook's libraries need not
    share an environment; each output is a pickle under ``data/RUN_ID/STEP/`` and XCom carries
    only its path. The notebook's parameters are the DAG's params.

    Args:
        notebook: The ``.ipynb`` file.
        output: The folder to write into; created when missing.
        package: The package's name (default: the notebook's name as an identifier).
        timeout: Seconds allowed per cell while capturing expected values.
        kernel_name: The kernel that executes the notebook.
        verify: Run the package's generated tests before writing it.

    Returns:
        The folder, the package, the step names, the files written and the DAG's id.

    Raises:
        NotebookError: as ``convert_notebook``, or a step output cannot be pickled.
        ForeignOutputError: a file to write exists and was not written by an export.
    """
    root = Path(output).absolute()
    name = package
    if name is None:
        from mlops_jupyter.convert.export_common import package_name

        name = package_name(notebook)
    dag_file = f"{name}_dag.py"
    check_own_files(root, [dag_file, "README.md", ".airflowignore"])
    exported = convert_for_export(
        notebook,
        root,
        "Airflow",
        package=name,
        timeout=timeout,
        kernel_name=kernel_name,
        verify=verify,
    )
    files = {
        dag_file: dag_source(exported),
        ".airflowignore": f"# {MARKER} airflow: the package is not a DAG folder\n{name}/\n",
        "README.md": readme(exported, dag_file),
    }
    written = write_files(root, files)
    return AirflowExport(root, exported.package, [b.name for b in exported.order], written, name)


def _params_source(exported: Exported) -> str:
    if not exported.specs:
        return "{}"
    lines = ["{"]
    for spec in exported.specs:
        kind = _SCHEMA_TYPES.get(spec.type)
        args = [repr(spec.default)]
        if kind:
            args.append(f"type={kind!r}")
        if spec.help:
            args.append(f"description={spec.help!r}")
        lines.append(f"        {spec.name!r}: Param({', '.join(args)}),")
    return "\n".join([*lines, "    }"])


def _tasks_source(exported: Exported) -> str:
    out = []
    for block in exported.order:
        upstream = [f"after_{d}" for d in block.depends]
        signature = ", ".join(f"{u}: str" for u in upstream)
        made = exported.producers.get(block.name, {})
        merged = "{" + ", ".join(f"{n!r}: _paths(after_{p})[{n!r}]" for n, p in made.items()) + "}"
        out.append(
            f"    @task(task_id={block.name!r})\n"
            f"    def t_{block.name}({signature}) -> str:\n"
            f'        """Step `{block.name}`: returns the paths of its outputs (JSON)."""\n'
            f"        return _run_step({block.name!r}, {merged})\n"
        )
    calls = []
    for block in exported.order:
        args = ", ".join(f"after_{d}=r_{d}" for d in block.depends)
        calls.append(f"    r_{block.name} = t_{block.name}({args})")
    return "\n".join(out) + "\n" + "\n".join(calls or ["    pass"])


def dag_source(exported: Exported) -> str:
    """The DAG file: TaskFlow tasks that run each step in a subprocess, files in between."""
    pkg = exported.package
    env = pkg.upper()
    outputs = {b.name: tuple(b.outputs) for b in exported.order}
    return f'''# {MARKER} airflow from {exported.notebook}: one task per notebook step.
"""Airflow DAG `{pkg}` converted by mlops-jupyter from {exported.notebook} (TaskFlow API).

Each task runs one step with ``python -m {pkg} --step NAME`` in a subprocess, using the
interpreter in ${env}_PYTHON (default: this worker's), so the notebook's libraries need not be
in Airflow's environment. Outputs are pickles under ${env}_DATA/RUN_ID/STEP/ (default: data/
next to this file); XCom carries only their paths. Run it once: ``python {pkg}_dag.py``
(``dag.test()``), optionally with a JSON object of params as the argument.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pendulum
from airflow.sdk import Param, dag, get_current_context, task

HERE = Path(__file__).resolve().parent
PACKAGE = {pkg!r}
PARAMETERS = {tuple(s.name for s in exported.specs)!r}
OUTPUTS = {outputs!r}


def _paths(text: str) -> dict[str, str]:
    """An upstream task's output paths (XCom holds them as ASCII JSON, whatever the names)."""
    return json.loads(text)


def _run_step(name: str, inputs: dict[str, str]) -> str:
    """Run step ``name`` alone on the files ``inputs``; return its outputs' paths as JSON."""
    context = get_current_context()
    base = Path(os.environ.get("{env}_DATA") or HERE / "data")
    run_dir = base / re.sub(r"[^A-Za-z0-9_.-]+", "_", str(context["run_id"]))
    run_dir.mkdir(parents=True, exist_ok=True)
    params_file = run_dir / f".params-{{name}}.json"
    params = {{k: context["params"][k] for k in PARAMETERS if k in context["params"]}}
    params_file.write_text(json.dumps(params), encoding="utf-8")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(HERE), env.get("PYTHONPATH")) if p)
    command = [
        os.environ.get("{env}_PYTHON") or sys.executable, "-m", PACKAGE, "--step", name,
        "--data", str(run_dir), "--params", str(params_file), "--inputs", json.dumps(inputs),
    ]
    env["PYTHONUTF8"] = "1"  # the step's output is UTF-8 whatever the worker's locale
    done = subprocess.run(
        command, cwd=HERE, env=env, capture_output=True, encoding="utf-8", errors="replace"
    )
    print(done.stdout, end="")
    print(done.stderr, end="", file=sys.stderr)
    if done.returncode != 0:
        detail = done.stderr[-2000:]
        raise RuntimeError(f"step {{name}} failed (exit {{done.returncode}}): {{detail}}")
    return json.dumps({{out: str(run_dir / name / f"{{out}}.pkl") for out in OUTPUTS[name]}})


@dag(
    dag_id={pkg!r},
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    tags=["mlops-jupyter"],
    params={_params_source(exported)},
)
def {pkg}_dag():
    """The notebook {exported.notebook}, one task per step."""
{_tasks_source(exported)}


dag_object = {pkg}_dag()


if __name__ == "__main__":
    conf = json.loads(sys.argv[1]) if len(sys.argv) > 1 else None
    dag_run = dag_object.test(run_conf=conf)
    state = getattr(dag_run, "state", None)
    print(f"dag {{PACKAGE}}: {{state}}")
    raise SystemExit(0 if state == "success" else 1)
'''


def readme(exported: Exported, dag_file: str) -> str:
    """The export's README: how to run and test it."""
    pkg, env = exported.package, exported.package.upper()
    return f"""<!-- {MARKER} airflow from {exported.notebook} -->
# `{pkg}` as an Airflow DAG

Exported by mlops-jupyter from `{exported.notebook}`: `{pkg}/` is the converted package (one
function per step in `steps.py`) and `{dag_file}` the DAG (Airflow 3, TaskFlow API), one task
per step. The notebook's parameters are the DAG's params. Each task runs its step in a
subprocess, `python -m {pkg} --step NAME`, with the interpreter in `{env}_PYTHON` (default: the
worker's own), so the notebook's libraries can live outside Airflow's environment. Outputs are
pickles under `{env}_DATA/RUN_ID/STEP/` (default: `data/` here); XCom carries only paths.

## Run

- Once, without a scheduler: `{env}_PYTHON=/path/to/python python {dag_file}` runs
  `dag.test()` with Airflow's Python; pass params as JSON: `python {dag_file} '{{"name": 1}}'`.
- In Airflow: put this folder in the dags folder (`.airflowignore` keeps the package out of
  DAG parsing) and trigger `{pkg}`, with params from the trigger form.
- Without Airflow: `python -m {pkg}` (`--cache DIR` to skip unchanged steps, `--help`).

## Test

`python -m pytest {pkg}/tests` (run here) checks each step against the values the notebook
computed when it was exported.

## Tasks

{stage_table(exported)}
"""
