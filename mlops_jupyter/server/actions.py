"""Actions the panel can trigger; each calls the Python API of its issue, or is reported absent."""

from __future__ import annotations

import importlib
import inspect
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tornado import web

from mlops_jupyter.server import payloads

if TYPE_CHECKING:
    from mlops_jupyter.server.app import ServerContext


@dataclass(frozen=True)
class ActionSpec:
    """Where an action's API lives, the JSON body it accepts, and whether it runs in the background."""

    module: str
    attr: str
    body: dict[str, Any] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    background: bool = False


ACTIONS: dict[str, ActionSpec] = {
    "rerun": ActionSpec("mlops_jupyter.execution", "run_notebook",
                        {"parameters": dict, "notebook_path": str}, (), True),
    "reproduce": ActionSpec("mlops_jupyter.execution", "reproduce_run", {}, (), True),
    "sweep": ActionSpec("mlops_jupyter.execution", "sweep_notebook",
                        {"notebook_path": str, "points": list, "parameters": dict, "jobs": int},
                        ("notebook_path", "points"), True),
    "export_script": ActionSpec("mlops_jupyter.convert", "export_script",
                                {"notebook_path": str, "output_path": str}, ("notebook_path",)),
    "convert": ActionSpec("mlops_jupyter.convert", "convert_notebook",
                          {"notebook_path": str, "output_dir": str}, ("notebook_path",)),
}


def _import(module_name: str, attr: str) -> Callable[..., Any] | None:
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    fn = getattr(module, attr, None)
    return fn if callable(fn) else None


def _find(name: str) -> Callable[..., Any] | None:
    spec = ACTIONS[name]
    return _import(spec.module, spec.attr)


_TYPE_NAMES = {bool: "bool", int: "int", float: "float", str: "str", list: "list", dict: "dict"}


def parameters_schema(ctx: ServerContext, run: Any) -> dict[str, Any]:
    """The re-run form's fields: the notebook's parameters schema, else the recorded params' types."""
    rel = payloads.relative_to_root(ctx.root_dir, run.source_notebook)
    schema_fn = _import("mlops_jupyter.execution", "notebook_schema")
    if schema_fn is not None and rel is not None and os.path.isfile(os.path.join(ctx.root_dir, rel)):
        from mlops_jupyter.notebook.read import read_notebook

        specs = schema_fn(read_notebook(payloads.resolve_notebook(ctx.root_dir, rel)))
        if specs:
            return {"source": "notebook", "notebook_path": rel, "parameters": [
                {"name": p.name, "type": p.type, "default": p.default, "help": p.help} for p in specs]}
    return {"source": "recorded", "notebook_path": rel, "parameters": [
        {"name": k, "type": _TYPE_NAMES.get(type(v), "str" if v is None else "json"), "default": v, "help": ""}
        for k, v in sorted(run.params.items())]}


def capabilities() -> dict[str, bool]:
    """Which actions' APIs are importable in this installation."""
    return {name: _find(name) is not None for name in ACTIONS}


def load(name: str) -> Callable[..., Any]:
    """The action's function, or a 501 naming the missing API."""
    fn = _find(name)
    if fn is None:
        spec = ACTIONS[name]
        raise web.HTTPError(501, f"action {name!r} is not available: {spec.module}.{spec.attr} is not installed "
                                 "in this server's environment; upgrade mlops-jupyter")
    return fn


def _kwargs(fn: Callable[..., Any], **candidates: Any) -> dict[str, Any]:
    """Keep only keyword arguments the function accepts."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return {}
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return candidates
    return {k: v for k, v in candidates.items() if k in params}


def _run_notebook_path(ctx: ServerContext, body: dict[str, Any]) -> str:
    if body.get("notebook_path"):
        return payloads.resolve_notebook(ctx.root_dir, body["notebook_path"])
    run = body["run"]
    rel = payloads.relative_to_root(ctx.root_dir, run.source_notebook)
    if rel is None:
        raise payloads.BadRequestError(f"run {run.run_id} has no source notebook inside the server root; "
                                       "pass notebook_path")
    return payloads.resolve_notebook(ctx.root_dir, rel)


def _rel(ctx: ServerContext, path: Any) -> Any:
    return payloads.relative_to_root(ctx.root_dir, str(path)) if path else None


def describe(result: Any) -> str:
    """A one-line summary of an action's result for the panel."""
    if hasattr(result, "verdict"):
        return f"{result.verdict} (new run {str(getattr(result, 'new_run_id', ''))[:8]})"
    if hasattr(result, "sweep_run_id"):
        points = getattr(result, "points", [])
        failed = len(getattr(result, "failed", []))
        return f"sweep {result.sweep_run_id[:8]}: {len(points)} points, {failed} failed"
    if hasattr(result, "run_id"):
        return f"run {result.run_id[:8]} {getattr(result, 'status', '')}".strip()
    return str(result)[:300]


def check_sweep(points: list[Any], jobs: int) -> None:
    """Refuse a sweep over the caps (points per sweep, parallel kernels) with a 400 naming them."""
    try:
        from mlops_jupyter.execution.points import check_sweep_size
    except ImportError:  # an older execution package: it checks, or not, by itself
        return
    check_sweep_size(len(points), jobs)


def prepare(name: str, fn: Callable[..., Any], body: dict[str, Any], ctx: ServerContext,
            cancel: Any = None) -> Callable[[], dict]:
    """Validate the request now (so errors are 4xx), return the call to run later.

    Background actions get `cancel` (a CancelToken) and start top-level runs: a sweep or
    re-run never becomes the child of a run another action has open in this process.
    """
    store = ctx.store
    if name == "rerun":
        path = _run_notebook_path(ctx, body)
        params = body.get("parameters") or {}
        kw = _kwargs(fn, store=store, experiment=body["run"].experiment, cwd=os.path.dirname(path),
                     top_level=True, cancel=cancel)
        return lambda: {"result": describe(fn(path, params, **kw))}
    if name == "reproduce":
        run_id = body["run"].run_id
        kw = _kwargs(fn, store=store, top_level=True, cancel=cancel)
        return lambda: {"result": describe(fn(run_id, **kw))}
    if name == "sweep":
        path = payloads.resolve_notebook(ctx.root_dir, body["notebook_path"])
        points = body["points"]
        jobs = 1 if body.get("jobs") is None else body["jobs"]
        check_sweep(points, jobs)
        kw = _kwargs(fn, parameters=body.get("parameters") or {}, jobs=jobs, store=store,
                     cwd=os.path.dirname(path), top_level=True, cancel=cancel)
        return lambda: {"result": describe(fn(path, points, **kw))}
    nb = payloads.resolve_notebook(ctx.root_dir, body["notebook_path"])
    if name == "export_script":
        out = payloads.resolve_notebook(ctx.root_dir, body.get("output_path") or
                                        os.path.relpath(os.path.splitext(nb)[0] + ".py", ctx.root_dir),
                                        must_exist=False)

        def export() -> dict[str, Any]:
            fn(nb, out)  # returns the script's source; the file is at `out`
            return {"output_path": _rel(ctx, out)}

        return export
    stem = re.sub(r"\W", "_", os.path.basename(os.path.splitext(nb)[0]))  # a package name
    default_dir = os.path.relpath(os.path.join(os.path.dirname(nb), f"{stem}_pipeline"), ctx.root_dir)
    out_dir = payloads.resolve_notebook(ctx.root_dir, body.get("output_dir") or default_dir, must_exist=False)

    kw = _kwargs(fn, protected=(ctx.root_dir,))

    def convert() -> dict[str, Any]:
        # the converter replaces only a package it wrote (its marker file), never a folder of
        # the user's, the server root or a folder holding the notebook
        fn(nb, out_dir, **kw)
        return {"output_path": _rel(ctx, out_dir)}

    return convert
