"""Actions the panel can trigger; each calls the Python API of its issue, or is reported absent."""

from __future__ import annotations

import importlib
import inspect
import os
import re
import threading
import time
import uuid
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


def prepare(name: str, fn: Callable[..., Any], body: dict[str, Any], ctx: ServerContext) -> Callable[[], dict]:
    """Validate the request now (so errors are 4xx), return the call to run later."""
    store = ctx.store
    if name == "rerun":
        path = _run_notebook_path(ctx, body)
        params = body.get("parameters") or {}
        kw = _kwargs(fn, store=store, experiment=body["run"].experiment, cwd=os.path.dirname(path))
        return lambda: {"result": describe(fn(path, params, **kw))}
    if name == "reproduce":
        run_id = body["run"].run_id
        return lambda: {"result": describe(fn(run_id, **_kwargs(fn, store=store)))}
    if name == "sweep":
        path = payloads.resolve_notebook(ctx.root_dir, body["notebook_path"])
        kw = _kwargs(fn, parameters=body.get("parameters") or {}, jobs=body.get("jobs") or 1, store=store,
                     cwd=os.path.dirname(path))
        points = body["points"]
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

    def convert() -> dict[str, Any]:
        # converting again replaces a package this converter made (it has a pipeline.py), never
        # a folder of the user's
        fn(nb, out_dir, overwrite=os.path.isfile(os.path.join(out_dir, "pipeline.py")))
        return {"output_path": _rel(ctx, out_dir)}

    return convert


_JOBS: dict[str, dict[str, Any]] = {}
_JOBS_LOCK = threading.Lock()


def submit(ctx: ServerContext, name: str, call: Callable[[], dict]) -> dict[str, Any]:
    """Run a long action in the server's action pool; answer its job record at once."""
    job_id = uuid.uuid4().hex
    record = {"job_id": job_id, "action": name, "status": "running", "started": time.time(),
              "message": None, "result": None}
    with _JOBS_LOCK:
        _JOBS[job_id] = record

    def run() -> None:
        try:
            result = call()
            update = {"status": "finished", "result": result.get("result")}
        except Exception as err:  # noqa: BLE001  reported to the panel through GET /jobs/{job_id}
            update = {"status": "failed", "message": f"{type(err).__name__}: {err}"}
        with _JOBS_LOCK:
            _JOBS[job_id].update(update, ended=time.time())

    ctx.actions.submit(run)
    return dict(record)


def job(ctx: ServerContext, job_id: str) -> dict[str, Any]:
    """A background action's record; unknown ids are a 404."""
    with _JOBS_LOCK:
        record = _JOBS.get(job_id)
    if record is None:
        raise web.HTTPError(404, f"no job {job_id!r}; jobs are kept only while the server runs")
    return dict(record)
