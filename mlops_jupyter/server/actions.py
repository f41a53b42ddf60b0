"""The panel's actions: each one validates its request, then calls the execution or conversion
function it names, directly and with that function's own keyword names.

``ACTIONS`` is the one table: the JSON body an action accepts, whether it runs in the
background (on the job pool, with a CancelToken) and the function that turns a validated request
into the call to make. Validation happens before anything runs, so a bad request is a 4xx.
Background calls report how far they are to a JobProgress and end with links (the new run, the
run they started from, the folder written) that the panel's job line shows.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_jupyter.convert import convert_notebook, export_script
from mlops_jupyter.convert.target import check_replaceable
from mlops_jupyter.execution import (
    ReproduceResult,
    SweepResult,
    notebook_schema,
    reproduce_run,
    run_notebook,
    sweep_notebook,
)
from mlops_jupyter.execution.points import check_sweep_size
from mlops_jupyter.notebook.read import read_notebook
from mlops_jupyter.server import payloads

if TYPE_CHECKING:
    from mlops_jupyter.execution.cancel import CancelToken
    from mlops_jupyter.execution.sweep_point import PointResult
    from mlops_jupyter.server.context import ServerContext
    from mlops_jupyter.server.jobs import JobProgress
    from mlops_jupyter.store.records import RunRecord


@dataclass(frozen=True)
class ActionResult:
    """What an action reports: one line for the panel, the file it wrote, the runs it links."""

    summary: str
    output_path: str | None = None
    run_id: str | None = None
    original_run_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The reply body: ``result`` (background jobs) or ``output_path`` (export, convert)."""
        if self.output_path is not None:
            return {"output_path": self.output_path}
        return {"result": self.summary}

    def outcome(self) -> tuple[str, dict[str, str]]:
        """What a background job records: the summary and the links that are set."""
        links = {
            "run_id": self.run_id,
            "original_run_id": self.original_run_id,
            "output_path": self.output_path,
        }
        return self.summary, {k: v for k, v in links.items() if v is not None}


#: A validated request, ready to run: called later on a pool thread.
Call = Callable[[], ActionResult]


@dataclass(frozen=True)
class Action:
    """One action: its JSON body (key -> type), required keys, where it runs, how it is called."""

    prepare: Callable[[ServerContext, dict[str, Any], CancelToken | None, JobProgress | None], Call]
    body: dict[str, type] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    background: bool = False


def _run_notebook_path(ctx: ServerContext, body: dict[str, Any]) -> str:
    if body.get("notebook_path"):
        return payloads.resolve_notebook(ctx.root_dir, body["notebook_path"])
    run: RunRecord = body["run"]
    rel = payloads.relative_to_root(ctx.root_dir, run.source_notebook)
    if rel is None:
        raise payloads.BadRequestError(
            f"run {run.run_id} has no source notebook inside the server root; pass notebook_path"
        )
    return payloads.resolve_notebook(ctx.root_dir, rel)


def _rel(ctx: ServerContext, path: str | os.PathLike[str]) -> str | None:
    return payloads.relative_to_root(ctx.root_dir, os.fspath(path))


def _cell_reporter(progress: JobProgress | None) -> Callable[[int, int], None] | None:
    """run_notebook's per-cell callback as job progress: ``running cell k of n``, with the
    cells before it done (the bar the sweep line uses)."""
    if progress is None:
        return None

    def on_cell(k: int, n: int) -> None:
        progress.report(f"running cell {k} of {n}", k - 1, n)

    return on_cell


def _rerun(
    ctx: ServerContext,
    body: dict[str, Any],
    cancel: CancelToken | None,
    progress: JobProgress | None = None,
) -> Call:
    path = _run_notebook_path(ctx, body)
    params = body.get("parameters") or {}
    original = body["run"]

    def call() -> ActionResult:
        if progress is not None:
            progress.report(f"running {os.path.basename(path)}")
        record = run_notebook(
            path,
            params,
            store=ctx.store,
            experiment=original.experiment,
            cwd=os.path.dirname(path),
            top_level=True,
            cancel=cancel,
            on_cell=_cell_reporter(progress),
        )
        return ActionResult(
            f"run {record.run_id[:8]} {record.status}",
            run_id=record.run_id,
            original_run_id=original.run_id,
        )

    return call


def _reproduce(
    ctx: ServerContext,
    body: dict[str, Any],
    cancel: CancelToken | None,
    progress: JobProgress | None = None,
) -> Call:
    run_id = body["run"].run_id

    def call() -> ActionResult:
        if progress is not None:
            progress.report(f"re-executing run {run_id[:8]} in a fresh kernel")
        result: ReproduceResult = reproduce_run(
            run_id,
            store=ctx.store,
            top_level=True,
            cancel=cancel,
            on_cell=_cell_reporter(progress),
        )
        return ActionResult(
            f"{result.verdict} (new run {result.new_run_id[:8]})",
            run_id=result.new_run_id,
            original_run_id=run_id,
        )

    return call


def _sweep(
    ctx: ServerContext,
    body: dict[str, Any],
    cancel: CancelToken | None,
    progress: JobProgress | None = None,
) -> Call:
    path = payloads.resolve_notebook(ctx.root_dir, body["notebook_path"])
    points = body["points"]
    jobs = 1 if body.get("jobs") is None else body["jobs"]
    check_sweep_size(len(points), jobs)  # refused now, as a 400 naming the cap
    if not re.fullmatch(r"[0-9a-f]{32}", body.get("original_run_id") or "0" * 32):
        raise payloads.BadRequestError("original_run_id must be a run id (32 hex characters)")
    done: list[PointResult] = []

    def on_point(point: PointResult) -> None:
        done.append(point)
        if progress is not None:
            failed = sum(p.status != "finished" for p in done)
            text = f"points: {len(done)} of {len(points)} done" + (
                f", {failed} failed" if failed else ""
            )
            progress.report(text, len(done), len(points))

    def call() -> ActionResult:
        if progress is not None:
            progress.report(f"points: 0 of {len(points)} done", 0, len(points))
        result: SweepResult = sweep_notebook(
            path,
            points,
            parameters=body.get("parameters") or {},
            jobs=jobs,
            store=ctx.store,
            cwd=os.path.dirname(path),
            top_level=True,
            cancel=cancel,
            on_point=on_point,
        )
        return ActionResult(
            f"sweep {result.sweep_run_id[:8]}: {len(result.points)} points, "
            f"{len(result.failed)} failed",
            run_id=result.sweep_run_id,
            original_run_id=body.get("original_run_id"),
        )

    return call


def _export_script(
    ctx: ServerContext,
    body: dict[str, Any],
    cancel: CancelToken | None,
    progress: JobProgress | None = None,
) -> Call:
    notebook = payloads.resolve_notebook(ctx.root_dir, body["notebook_path"])
    default = os.path.relpath(os.path.splitext(notebook)[0] + ".py", ctx.root_dir)
    output = payloads.resolve_notebook(
        ctx.root_dir, body.get("output_path") or default, must_exist=False
    )

    def call() -> ActionResult:
        export_script(notebook, output)  # never replaces a file mlops-jupyter did not write
        return ActionResult(f"exported {os.path.basename(output)}", _rel(ctx, output))

    return call


def _convert(
    ctx: ServerContext,
    body: dict[str, Any],
    cancel: CancelToken | None,
    progress: JobProgress | None = None,
) -> Call:
    notebook = payloads.resolve_notebook(ctx.root_dir, body["notebook_path"])
    stem = re.sub(r"\W", "_", os.path.basename(os.path.splitext(notebook)[0]))  # a package name
    default = os.path.relpath(
        os.path.join(os.path.dirname(notebook), f"{stem}_pipeline"), ctx.root_dir
    )
    output = payloads.resolve_notebook(
        ctx.root_dir, body.get("output_dir") or default, must_exist=False
    )

    # replaces only a package the converter wrote (its marker file), never a folder of the
    # user's, the server root or a folder holding the notebook: refused now, as a 400
    check_replaceable(Path(output).absolute(), notebook, (ctx.root_dir,))

    def cell(k: int, n: int, _index: int) -> None:
        if progress is not None:
            progress.report(f"capturing: cell {k} of {n}", k, n)

    def stage(text: str) -> None:
        if progress is not None:
            progress.report(text)

    def call() -> ActionResult:
        stage("reading the notebook")
        result = convert_notebook(
            notebook, output, protected=(ctx.root_dir,), progress=cell, on_stage=stage
        )
        return ActionResult(f"converted into {result.package}", _rel(ctx, output))

    return call


ACTIONS: dict[str, Action] = {
    "rerun": Action(_rerun, {"parameters": dict, "notebook_path": str}, (), background=True),
    "reproduce": Action(_reproduce, {}, (), background=True),
    "sweep": Action(
        _sweep,
        {
            "notebook_path": str,
            "points": list,
            "parameters": dict,
            "jobs": int,
            "original_run_id": str,
        },
        ("notebook_path", "points"),
        background=True,
    ),
    "export_script": Action(
        _export_script, {"notebook_path": str, "output_path": str}, ("notebook_path",)
    ),
    "convert": Action(
        _convert, {"notebook_path": str, "output_dir": str}, ("notebook_path",), background=True
    ),
}

_TYPE_NAMES = {bool: "bool", int: "int", float: "float", str: "str", list: "list", dict: "dict"}


def parameters_schema(ctx: ServerContext, run: RunRecord) -> dict[str, Any]:
    """The re-run form's fields: the notebook's parameters schema, else the recorded params."""
    rel = payloads.relative_to_root(ctx.root_dir, run.source_notebook)
    if rel is not None and os.path.isfile(os.path.join(ctx.root_dir, rel)):
        specs = notebook_schema(read_notebook(payloads.resolve_notebook(ctx.root_dir, rel)))
        if specs:
            return {
                "source": "notebook",
                "notebook_path": rel,
                "parameters": [
                    {"name": p.name, "type": p.type, "default": p.default, "help": p.help}
                    for p in specs
                ],
            }
    return {
        "source": "recorded",
        "notebook_path": rel,
        "parameters": [
            {
                "name": k,
                "type": _TYPE_NAMES.get(type(v), "str" if v is None else "json"),
                "default": v,
                "help": "",
            }
            for k, v in sorted(run.params.items())
        ],
    }
