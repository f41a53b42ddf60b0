"""`export dvc`: the converted package plus `dvc.yaml` (one stage per step) and `params.yaml`
(the parameters cell), so `dvc repro`, `dvc status` and `dvc exp run -S` drive the notebook."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from mlops_jupyter.convert.export_common import (
    MARKER,
    Exported,
    check_own_files,
    convert_for_export,
    stage_table,
    write_files,
)
from mlops_jupyter.convert.package_runtime.runtime import DONE_FILE
from mlops_jupyter.convert.plan import Block

DATA = "data"
#: The stage writing each step's code hash (not an identifier, so no step can have the name).
CODE_STAGE = "step-code"
CODE = f"{DATA}/code"
FILES = ["dvc.yaml", "params.yaml", "README.md"]


@dataclass
class DvcExport:
    """What ``export_dvc`` wrote."""

    directory: Path
    package: str
    stages: list[str]  # one per step (and the CODE_STAGE before them)
    files: list[str]


def export_dvc(
    notebook: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    package: str | None = None,
    timeout: int = 600,
    kernel_name: str = "python3",
    verify: bool = True,
) -> DvcExport:
    """Export a notebook as a DVC pipeline in ``output`` (often a git + DVC repository's root).

    Each step is a stage whose ``cmd`` runs that step alone (``python -m PACKAGE --step NAME``),
    whose ``deps`` are the step's own code (``data/code/STEP.sha256``, the hash of its function
    and the module code around it, which the ``step-code`` stage writes from ``steps.py``) and
    the upstream stages' outputs, whose ``params`` are the notebook parameters it uses (read from
    ``params.yaml``) and whose ``outs`` are its outputs, pickled under ``data/STEP/``.

    Args:
        notebook: The ``.ipynb`` file.
        output: The folder to write into; created when missing. Files in it that an export did
            not write are never replaced.
        package: The package's name (default: the notebook's name as an identifier).
        timeout: Seconds allowed per cell while capturing expected values.
        kernel_name: The kernel that executes the notebook.
        verify: Run the package's generated tests before writing it.

    Returns:
        The folder, the package, the stage names and the files written.

    Raises:
        NotebookError: as ``convert_notebook``, or a step output cannot be pickled (an open
            file, a generator): the message names the step and the value.
        ForeignOutputError: ``dvc.yaml``, ``params.yaml`` or ``README.md`` exists and was not
            written by an export.
    """
    root = Path(output).absolute()
    check_own_files(root, FILES)
    exported = convert_for_export(
        notebook,
        root,
        "DVC",
        package=package,
        timeout=timeout,
        kernel_name=kernel_name,
        verify=verify,
    )
    files = {
        "dvc.yaml": dvc_yaml(exported),
        "params.yaml": params_yaml(exported),
        "README.md": readme(exported),
    }
    written = write_files(root, files)
    return DvcExport(root, exported.package, [b.name for b in exported.order], written)


def _outs(block_name: str, outputs: list[str]) -> list[str]:
    names = [f"{n}.pkl" for n in outputs] or [DONE_FILE]  # what the runtime's run_alone writes
    return [f"{DATA}/{block_name}/{n}" for n in names]


def dvc_yaml(exported: Exported) -> str:
    """``dvc.yaml``: one stage per step, in dependency order."""
    pkg = exported.package
    known = {s.name for s in exported.specs}
    outs = {b.name: _outs(b.name, b.outputs) for b in exported.order}
    stages: dict[str, dict[str, object]] = {
        CODE_STAGE: {
            "cmd": f"python -m {pkg} --code {CODE}",
            "deps": [f"{pkg}/steps.py"],
            "outs": [{f"{CODE}/{b.name}.sha256": {"cache": False}} for b in exported.order],
        }
    }
    for block in exported.order:
        stage: dict[str, object] = {
            "cmd": f"python -m {pkg} --step {block.name} --data {DATA} --params params.yaml",
            "deps": [f"{CODE}/{block.name}.sha256", *_upstream(exported, block, outs)],
        }
        params = [p for p in block.params if p in known]
        if params:
            stage["params"] = params
        stage["outs"] = outs[block.name]
        stages[block.name] = stage
    header = (
        f"# {MARKER} dvc from {exported.notebook}: one stage per notebook step.\n"
        f"# Regenerate with `mlops-jupyter export dvc {exported.notebook} -o .` after editing "
        "the notebook.\n"
    )
    return header + yaml.safe_dump({"stages": stages}, sort_keys=False, allow_unicode=True)


def _upstream(exported: Exported, block: Block, outs: dict[str, list[str]]) -> list[str]:
    """The files a stage reads: its inputs (with the producer's outputs that may share objects
    with one: its pickle refers to theirs), and all outputs of a step it only runs `after:`."""
    made = exported.producers.get(block.name, {})
    shared = {b.name: b.shared for b in exported.order}
    files: list[str] = []
    for name, producer in made.items():
        linked = shared.get(producer, []) if name in shared.get(producer, []) else [name]
        files += [f"{DATA}/{producer}/{n}.pkl" for n in linked]
    files = list(dict.fromkeys(files))
    for step in block.depends:
        if step not in made.values():
            files += outs.get(step, [])
    return files


def params_yaml(exported: Exported) -> str:
    """``params.yaml``: the parameters cell's values (what ``dvc exp run -S`` changes)."""
    header = (
        f"# {MARKER} dvc from {exported.notebook}: the notebook's parameters; edit them or run "
        "`dvc exp run -S name=value`.\n"
    )
    values = {s.name: s.default for s in exported.specs}
    body = yaml.safe_dump(values, sort_keys=False, allow_unicode=True) if values else "{}\n"
    return header + body


def readme(exported: Exported) -> str:
    """The export's README: how to run and test it."""
    pkg, example = exported.package, _example(exported)
    return f"""<!-- {MARKER} dvc from {exported.notebook} -->
# `{pkg}` as a DVC pipeline

Exported by mlops-jupyter from `{exported.notebook}`: `{pkg}/` is the converted package (one
function per step in `steps.py`), `dvc.yaml` has one stage per step and `params.yaml` holds the
notebook's parameters. Each stage runs its step alone (`python -m {pkg} --step NAME`), reading
its inputs from and writing its outputs to `{DATA}/STEP/NAME.pkl` (pickles; load one with
`{pkg}.runtime.load_file(PATH)`, which also restores objects a step's outputs share).

A stage depends on its own step's code, not on all of `steps.py`: the `{CODE_STAGE}` stage writes
`{CODE}/STEP.sha256`, the hash of each step's function and of the module code around it
(imports, helpers, classes), and each stage depends on its step's file. Editing one step's
function re-runs that stage and those that use what it changed; editing module code re-runs all.

## Run

In a git repository with DVC (`git init && dvc init`), with `python` being an interpreter that
has the package's requirements:

```
dvc repro              # runs the stages whose code, parameters or inputs changed
dvc status             # what would run again
{example}
dvc params diff        # parameters against the last commit
```

Without DVC: `python -m {pkg}` runs every step, `python -m {pkg} --cache .cache` skips the
steps whose source, parameters and inputs are unchanged, `python -m {pkg} --help` lists the
parameters.

## Test

`python -m pytest {pkg}/tests` (run here) checks each step against the values the notebook
computed when it was exported.

## Stages

{stage_table(exported)}
"""


def _example(exported: Exported) -> str:
    for spec in exported.specs:
        if spec.type in ("int", "float") and not isinstance(spec.default, bool):
            return f"dvc exp run -S {spec.name}={spec.default * 2}  # an experiment"
    return "dvc exp run          # an experiment (-S name=value changes a parameter)"
