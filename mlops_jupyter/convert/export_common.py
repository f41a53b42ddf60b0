"""What the DVC and Airflow exports share: converting the notebook into DIR/PACKAGE, refusing
steps whose outputs cannot be written to files, and replacing only the files an export wrote."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from mlops_jupyter.convert.pipeline import ConversionResult, convert_notebook
from mlops_jupyter.convert.plan import Block
from mlops_jupyter.convert.runtime_render import producers
from mlops_jupyter.convert.target import check_replaceable
from mlops_jupyter.errors import ForeignOutputError, NotebookError
from mlops_jupyter.notebook.parameters import ParamSpec

#: The first line of every file an export writes; only such a file is ever replaced.
MARKER = "written by mlops-jupyter export"
#: Runtime options the stage and task commands pass; a parameter of that name would shadow one.
STAGE_OPTIONS = ("step", "data", "params", "inputs", "check", "code")


@dataclass
class Exported:
    """A package converted for an export, with the plan facts the export files are made of."""

    directory: Path
    conversion: ConversionResult
    order: list[Block]
    specs: list[ParamSpec]
    notebook: str
    producers: dict[str, dict[str, str]]  # step -> input name -> the step producing it

    @property
    def package(self) -> str:
        """The package's name (its folder under the export directory)."""
        return self.conversion.package


def package_name(notebook: str | os.PathLike[str]) -> str:
    """The package name an export gives a notebook: its file name as an identifier."""
    stem = Path(notebook).stem
    cleaned = "".join(c if c.isalnum() or c == "_" else "_" for c in stem.lower()) or "pipeline"
    return cleaned if cleaned.isidentifier() and not cleaned[0].isdigit() else f"nb_{cleaned}"


def check_own_files(directory: Path, names: list[str]) -> None:
    """Refuse to overwrite a file in ``directory`` that no export wrote (no marker line)."""
    for name in names:
        path = directory / name
        if path.exists() and MARKER not in _first_line(path):
            raise ForeignOutputError(
                path, f"it exists and was not written by mlops-jupyter (no {MARKER!r} line)"
            )


def _first_line(path: Path) -> str:
    try:
        with path.open(encoding="utf-8") as handle:
            return handle.readline()
    except (OSError, UnicodeDecodeError):
        return ""


def convert_for_export(
    notebook: str | os.PathLike[str],
    directory: str | os.PathLike[str],
    kind: str,
    *,
    package: str | None = None,
    timeout: int = 600,
    kernel_name: str = "python3",
    verify: bool = True,
) -> Exported:
    """Convert ``notebook`` into ``DIRECTORY/PACKAGE`` after checking that every step output
    can be materialised (a DVC out, an Airflow file); nothing is written when one cannot.

    Raises:
        NotebookError: as ``convert_notebook``; or a step output (an open file, a generator)
            cannot be written to a file: the message names the step and the value.
    """
    from mlops_jupyter.convert.analysis import plan_notebook
    from mlops_jupyter.convert.package import step_order
    from mlops_jupyter.convert.script import parameter_specs
    from mlops_jupyter.notebook.read import read_notebook

    root = Path(directory).absolute()
    name = package or package_name(notebook)
    target = root / name
    check_replaceable(target, notebook)
    plan = plan_notebook(read_notebook(notebook, python_only=True))
    specs = parameter_specs(plan)
    shadowing = sorted({s.name for s in specs} & set(STAGE_OPTIONS))
    if shadowing:
        raise NotebookError(
            f"cannot export to {kind}: the parameter(s) {', '.join(shadowing)} would shadow the "
            f"step runner's --{shadowing[0]} option; rename them in the parameters cell"
        )
    root.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(dir=root, prefix=f".{name}-export-"))
    try:
        staged = convert_notebook(
            notebook, scratch / name, timeout=timeout, kernel_name=kernel_name, verify=verify
        )
        check_materialisable(scratch, name, Path(notebook).absolute().parent, kind, timeout)
        check_replaceable(target, notebook)
        if target.exists():
            shutil.rmtree(target)
        os.replace(scratch / name, target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    staged.path = target
    return Exported(root, staged, step_order(plan), specs, Path(notebook).name, producers(plan))


def check_materialisable(root: Path, package: str, workdir: Path, kind: str, timeout: int) -> None:
    """Run the package once with ``--check``: every output gets pickled, so an unmaterialisable
    one fails here, with the runtime's message, and not inside DVC or Airflow; so does a step
    that changes an input in place without returning it (a stage would lose the change)."""
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", MPLBACKEND="Agg")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(root), env.get("PYTHONPATH")) if p)
    done = subprocess.run(
        [sys.executable, "-m", package, "--check"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout * 10,
        check=False,
    )
    if done.returncode != 0:
        errors = [ln for ln in done.stderr.splitlines() if ln.startswith("error: ")]
        detail = errors[-1].removeprefix("error: ") if errors else done.stderr.strip()[-600:]
        raise NotebookError(f"cannot export to {kind}: {detail}")


def write_files(directory: Path, files: dict[str, str]) -> list[str]:
    """Write the export's own files (each atomically); return their names."""
    for name, text in files.items():
        path = directory / name
        scratch = path.with_name(f".{path.name}.{os.getpid()}")
        scratch.write_text(text, encoding="utf-8")
        os.replace(scratch, path)
    return sorted(files)


def stage_table(exported: Exported) -> str:
    """A Markdown table of the steps: what each reads, uses and writes."""
    rows = [
        f"| `{b.name}` | {', '.join(b.depends) or '-'} | {', '.join(b.params) or '-'} | "
        f"{', '.join(b.outputs) or '-'} |"
        for b in exported.order
    ]
    return "| step | after | parameters | outputs |\n|---|---|---|---|\n" + "\n".join(rows)
