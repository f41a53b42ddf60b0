"""What `reproduce` re-executes for a run, decided before anything starts.

A run made by `run` or `sweep` carries its notebook. A ``%%track`` run made interactively
carries the code of the executions its inputs came from (``provenance.cell.lineage``, found by
dataflow): they are re-executed in a fresh kernel, in their order, then the tracked cell. A
``%%track`` run inside a `run`/`sweep` reproduces through its parent's notebook, and is compared
with the matching run of the re-execution. Anything else cannot be reproduced, and the reason
says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mlops_jupyter.errors import RunStateError
from mlops_jupyter.execution.recording import EXECUTED_ARTIFACT, SOURCE_ARTIFACT
from mlops_jupyter.store import RunStore

INTERACTIVE, NOTEBOOK, CHILD = "interactive", "notebook", "child"


@dataclass(frozen=True)
class ReproducePlan:
    """The notebook to re-execute, its parameters, and which run to compare with."""

    kind: str  # NOTEBOOK: the run's own; CHILD: its parent's; INTERACTIVE: rebuilt from cells
    path: str
    source: str  # notebook JSON text
    params: dict[str, Any]
    kernel: str | None


def _notebook_of(store: RunStore, run: Any) -> str | None:
    artifact = run.artifact(SOURCE_ARTIFACT) or run.artifact(EXECUTED_ARTIFACT)
    return store.read_artifact(artifact.sha256).decode("utf-8") if artifact else None


def _body(source: str) -> str:
    """A lineage cell's code without its ``%%track`` line (it must not make a run of its own)."""
    first, _, rest = source.partition("\n")
    return rest if first.strip().startswith("%%track") else source


def interactive_notebook(cell: dict[str, Any]) -> str:
    """The notebook rebuilt from a %%track run's cell provenance: the extension, the lineage
    cells in their execution order, then the tracked cell itself."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    sources = ["%load_ext mlops_jupyter"]
    sources += [_body(str(c.get("source", ""))) for c in cell.get("lineage") or []]
    sources.append(f"{cell.get('magic') or '%%track'}\n{cell.get('source', '')}")
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    return str(nbformat.writes(nb))


def plan_reproduction(store: RunStore, original: Any) -> ReproducePlan:
    """How to reproduce `original`.

    Raises:
        RunStateError: nothing recorded allows it; the message says why and what would.
    """
    kernel = original.tags.get("mlops.kernel")
    path = original.source_notebook or f"{original.name}.ipynb"
    own = _notebook_of(store, original)
    if own is not None:
        return ReproducePlan(NOTEBOOK, path, own, dict(original.params), kernel)
    parent = store.get_run(original.parent_run_id) if original.parent_run_id else None
    inherited = _notebook_of(store, parent) if parent is not None else None
    if parent is not None and inherited is not None:
        parent_path = parent.source_notebook or f"{parent.name}.ipynb"
        kernel = parent.tags.get("mlops.kernel")
        return ReproducePlan(CHILD, parent_path, inherited, dict(parent.params), kernel)
    cell = original.provenance.get("cell") or {}
    if cell.get("source") is not None and "lineage" in cell:
        return ReproducePlan(INTERACTIVE, path, interactive_notebook(cell), {}, kernel)
    raise RunStateError(unreproducible_reason(original))


def unreproducible_reason(original: Any) -> str:
    """Why a run cannot be reproduced (the CLI and the panel say it before anything starts)."""
    cell = original.provenance.get("cell") or {}
    if cell.get("source") is not None:
        return (
            f"run {original.run_id[:8]} was made by a %%track cell before its lineage was "
            "recorded, so the cells its inputs came from are unknown; re-run the cell with "
            "this version of mlops-jupyter, or use `mlops-jupyter run` on the notebook"
        )
    return (
        f"run {original.run_id[:8]} has no recorded notebook ({SOURCE_ARTIFACT}) or cell; "
        "only runs made by `mlops-jupyter run`/`sweep` or by a %%track cell can be reproduced"
    )


def compared_run(store: RunStore, plan: ReproducePlan, original: Any, new_id: str) -> str:
    """The run of the re-execution to compare with `original`: the run itself for a notebook;
    the re-executed ``%%track`` run (same name, else the last one) otherwise."""
    if plan.kind == NOTEBOOK:
        return new_id
    children = store.search_runs(parent_run_id=new_id, order_by="start_time")
    if plan.kind == INTERACTIVE:
        return children[-1].run_id if children else new_id
    same = [c for c in children if c.name == original.name]
    same_cell = [c for c in children if original.cell_id and c.cell_id == original.cell_id]
    chosen = same_cell or same
    return chosen[-1].run_id if chosen else new_id
