"""`convert`: a notebook as a package of step functions, a pipeline runner and generated tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from mlops_jupyter.convert.analysis import plan_notebook
from mlops_jupyter.convert.capture import Progress, capture_values
from mlops_jupyter.convert.check import out_of_order
from mlops_jupyter.convert.codegen import is_identifier
from mlops_jupyter.convert.determinism import determinism_findings
from mlops_jupyter.convert.package import render_pipeline, render_steps, step_order
from mlops_jupyter.convert.plan import Finding
from mlops_jupyter.convert.runtime_render import runtime_files
from mlops_jupyter.convert.script import parameter_specs
from mlops_jupyter.convert.target import PACKAGE_MARKER, check_replaceable, marker_text
from mlops_jupyter.convert.testgen import (
    SUPPORT,
    render_cell_tests,
    render_pipeline_tests,
    render_schema_tests,
    render_step_tests,
)
from mlops_jupyter.errors import NotebookError
from mlops_jupyter.notebook.read import NotebookLike, read_notebook

# Findings after which the generated package could not reproduce the notebook.
BLOCKING = frozenset(
    {
        "use-before-def",
        "undefined-name",
        "unknown-step",
        "duplicate-step",
        "ambiguous-dependency",
        "nondeterministic",  # the generated tests could not pass: refused before running
    }
)


@dataclass
class ConversionResult:
    """What ``convert_notebook`` wrote."""

    path: Path
    package: str
    steps: list[str]
    files: list[str]
    warnings: list[Finding] = field(default_factory=list)


def convert_notebook(
    notebook: NotebookLike,
    output: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    timeout: int = 600,
    kernel_name: str = "python3",
    verify: bool = True,
    protected: tuple[str | os.PathLike[str], ...] = (),
    progress: Progress | None = None,
    single_step: bool = False,
    on_stage: Callable[[str], None] | None = None,
) -> ConversionResult:
    """Convert a notebook into a package: ``steps.py``, ``pipeline.py`` and ``tests/``.

    The notebook is executed once (skip and test cells left out) to capture each step's inputs
    and outputs, which the generated tests compare against; then, with ``verify``, the generated
    tests are run. Everything is written to a temporary directory first and renamed to ``output``
    only when complete, so nothing is written when any of this fails.

    Every package holds a marker file (``.mlops-jupyter-package``). An existing ``output`` is
    replaced only when it carries that marker (converting again is fine); any other non-empty
    folder, and any folder holding the notebook, is refused and left as it is.

    Args:
        notebook: Path to the ``.ipynb`` file (or a notebook dict; the kernel then runs in the
            current directory).
        output: The package directory to create; its name is the package name.
        overwrite: Kept for compatibility: a package mlops-jupyter wrote is replaced anyway,
            and a folder it did not write is never replaced.
        timeout: Seconds allowed per cell while capturing.
        kernel_name: Jupyter kernel that executes the notebook.
        verify: Run the generated tests (in the notebook's folder) before writing the package.
        protected: Further folders never to be replaced (the server passes its root).
        progress: Called as each notebook cell starts executing, with ``(k, n, cell index)``.
        single_step: Without step roles or headings, keep the notebook as one step instead of
            splitting it where the dataflow allows.
        on_stage: Called with a line as each later stage starts (``running the generated
            tests``), so a caller showing the capture's progress can show what follows it.

    The capture and the generated tests run against a temporary store (``MLOPS_JUPYTER_STORE``
    set to a file in the scratch folder), so runs a notebook tracks never reach the user's store.

    Returns:
        The package written, its steps and any non-blocking warnings from the analysis.

    Raises:
        ForeignOutputError: ``output`` exists and was not written by mlops-jupyter, or holds
            the notebook, or is one of ``protected``.
        NotebookError: unreadable notebook, invalid cell, bad output path, names used before
            they are defined or ambiguous dependencies (``check`` lists them), or generated
            tests that fail (e.g. unseeded randomness).
        UnsupportedMagicError: a magic with no plain-Python translation.
        NotebookExecutionError: a cell raised while capturing.
    """
    target = Path(output).absolute()
    source = notebook if isinstance(notebook, (str, os.PathLike)) else None
    package = _check_name(target)
    check_replaceable(target, source, protected)
    nb = read_notebook(notebook, python_only=True)
    plan = plan_notebook(nb, single_step=single_step)
    plan.findings += determinism_findings(plan)  # the same analysis as `check`
    blocking = [f for f in plan.findings if f.code in BLOCKING]
    if blocking:
        details = "; ".join(f.message for f in blocking[:5])
        raise NotebookError(
            f"cannot convert: {details}. Run `mlops-jupyter check` for the full report"
        )
    if isinstance(notebook, (str, os.PathLike)):
        name, workdir = Path(notebook).name, Path(notebook).absolute().parent
    else:
        name, workdir = "a notebook", Path.cwd()
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{package}-"))
    staging = scratch / package
    try:
        staging.mkdir()
        environ = _scratch_environ(scratch)
        files = _write_package(
            nb, plan, staging, package, name, workdir, timeout, kernel_name, environ, progress
        )
        if verify:
            if on_stage is not None:
                on_stage("running the generated tests")
            _verify(staging, workdir, environ)
        if on_stage is not None:
            on_stage("generated tests passed" if verify else "package written")
        (staging / PACKAGE_MARKER).write_text(marker_text(name), encoding="utf-8")
        _install(staging, target, source, protected)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    warnings = out_of_order(nb) + [f for f in plan.findings if f.code not in BLOCKING]
    return ConversionResult(target, package, [b.name for b in step_order(plan)], files, warnings)


def _check_name(target: Path) -> str:
    package = target.name
    if not is_identifier(package):
        raise NotebookError(
            f"package directory name {package!r} is not a Python identifier; expected letters, "
            f"digits and underscores, e.g. {_suggest(package)!r}"
        )
    return package


def _scratch_environ(scratch: Path) -> dict[str, str]:
    """This process's environment pointed at a store in the scratch folder (deleted with it):
    runs the notebook tracks while capturing or testing never reach the user's store."""
    from mlops_jupyter import env

    environ = dict(os.environ)
    environ[env.STORE] = str(scratch / "store" / "runs.db")
    environ[env.SPOOL] = str(scratch / "store" / "spool")
    for name in (env.PARENT_RUN, env.BLOBS, env.BLOBS_OPTIONS):
        environ.pop(name, None)
    return environ


def _verify(staging: Path, workdir: Path, environ: dict[str, str]) -> None:
    """Run the generated tests on the staged package; refuse the package if they fail."""
    env = dict(environ, PYTHONDONTWRITEBYTECODE="1")
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(staging.parent), env.get("PYTHONPATH")) if p
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-rf",
            "-p",
            "no:cacheprovider",
            str(staging / "tests"),
        ],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        failed = [
            ln.split(" - ")[0].replace("FAILED ", "").split("::")[-1]
            for ln in done.stdout.splitlines()
            if ln.startswith("FAILED")
        ]
        detail = f"failing: {', '.join(failed[:6])}" if failed else done.stdout.strip()[-500:]
        raise NotebookError(
            f"the generated tests do not pass ({detail}), so the package would not reproduce the "
            "notebook; common causes are unseeded randomness, the clock, files or the network. "
            "Fix the notebook, or pass --no-verify (verify=False) to write the package anyway"
        )


def _write_package(
    nb: dict,
    plan,
    staging: Path,
    package: str,
    name: str,
    workdir: Path,
    timeout: int,
    kernel_name: str,
    environ: dict[str, str],
    progress: Progress | None,
) -> list[str]:
    capture = capture_values(
        nb,
        plan,
        staging / "tests" / "data",
        package,
        workdir,
        timeout=timeout,
        kernel_name=kernel_name,
        progress=progress,
        kernel_env=environ,
    )
    specs = parameter_specs(plan)
    order = step_order(plan)
    files = {
        "__init__.py": f'"""Package converted by mlops-jupyter from {name}."""\n\n'
        'from .pipeline import run\n\n__all__ = ["run"]\n',
        "__main__.py": '"""`python -m PACKAGE`: run the pipeline."""\n\n'
        "from .pipeline import main\n\nraise SystemExit(main())\n",
        "steps.py": render_steps(plan, capture, specs, name),
        "pipeline.py": render_pipeline(plan, specs, name, package),
        **runtime_files(),
        "tests/__init__.py": "",
        "tests/_support.py": SUPPORT,
        "tests/test_steps.py": render_step_tests(plan, order, package),
        "tests/test_pipeline.py": render_pipeline_tests(package),
    }
    cell_tests = render_cell_tests(plan, package)
    if cell_tests:
        files["tests/test_cells.py"] = cell_tests
    schema_tests = render_schema_tests(order, capture, package)
    if schema_tests:
        files["tests/test_schemas.py"] = schema_tests
    if plan.requirements:
        files["requirements.txt"] = "\n".join(plan.requirements) + "\n"
    files["README.md"] = _readme(plan, package, name, order)
    for relative, text in files.items():
        path = staging / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    os.chmod(staging, 0o755)
    return sorted(files)


def _readme(plan, package: str, notebook: str, order: list) -> str:
    rows = "\n".join(
        f"| `{b.name}` | {', '.join(str(p.cell.index) for p in b.parts)} | "
        f"{', '.join(b.inputs + b.params) or '-'} | {', '.join(b.outputs) or '-'} |"
        for b in order
    )
    return (
        f"# {package}\n\nConverted by mlops-jupyter from `{notebook}`: one function per step in "
        "`steps.py`, `pipeline.py` runs them in dependency order.\n\n"
        "| step | notebook cells | arguments | returns |\n|---|---|---|---|\n"
        f"{rows}\n\nRun: `python -m {package} --help`, or `from {package} import run; run()`.\n"
        f"Test: `python -m pytest {package}/tests` (expected values were captured by executing "
        "the notebook once; regenerate the package after editing the notebook).\n"
    )


def _install(
    staging: Path,
    target: Path,
    notebook: str | os.PathLike[str] | None,
    protected: tuple[str | os.PathLike[str], ...],
) -> None:
    """Rename the finished package into place, checking the target again (it may have changed
    while the notebook ran)."""
    check_replaceable(target, notebook, protected)
    if target.exists():
        old = target.with_name(f".{target.name}-old-{os.getpid()}")
        os.replace(target, old)
        os.replace(staging, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(staging, target)


def _suggest(name: str) -> str:
    cleaned = "".join(c if c.isalnum() or c == "_" else "_" for c in name) or "package"
    return cleaned if not cleaned[0].isdigit() else f"pkg_{cleaned}"
