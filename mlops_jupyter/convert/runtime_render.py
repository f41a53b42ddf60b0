"""Rendering the parts of a package's `pipeline.py` that drive its runtime: the step graph,
`run()`/`_run()` with the runtime options, and `main()`; the runtime file itself."""

from __future__ import annotations

from importlib import resources

from mlops_jupyter.convert.plan import Block, Plan

#: The runtime modules copied into every package, from ``convert/package_runtime/``.
RUNTIME_FILES = ("outputs.py", "runtime.py", "runtime_dask.py", "runner.py")


def runtime_files() -> dict[str, str]:
    """The runtime's files by name, as mlops-jupyter ships them (``package_runtime/``)."""
    folder = resources.files("mlops_jupyter.convert.package_runtime")
    return {name: folder.joinpath(name).read_text(encoding="utf-8") for name in RUNTIME_FILES}


def producers(plan: Plan) -> dict[str, dict[str, str]]:
    """For each step, the step that produces each of its inputs (the last one before it, in
    notebook order, that outputs the name)."""
    latest: dict[str, str] = {}
    found: dict[str, dict[str, str]] = {}
    for block in plan.steps():
        found[block.name] = {n: latest[n] for n in block.inputs if n in latest}
        latest.update(dict.fromkeys(block.outputs, block.name))
    return found


def graph_source(plan: Plan, order: list[Block]) -> str:
    """``GRAPH``: one ``runtime.Step`` per step, in dependency order."""
    made = producers(plan)
    lines = ["GRAPH = runtime.graph(", '    __package__ + ".steps",', "    ["]
    for block in order:
        args = [repr(block.name), repr(block.name)]
        inputs = tuple((n, made[block.name][n]) for n in block.inputs if n in made[block.name])
        for field, value in (
            ("inputs", inputs),
            ("params", tuple(block.params)),
            ("outputs", tuple(block.outputs)),
            ("after", tuple(block.depends)),
            ("shared", tuple(block.shared)),
        ):
            if value:
                args.append(f"{field}={value!r}")
        lines.append(f"        runtime.Step({', '.join(args)}),")
    lines += ["    ]", ")"]
    return "\n".join(lines)


def run_source() -> str:
    """``run(**params)`` (runtime options popped off) and ``_run``, which the tests call."""
    return '''def run(**params: Any) -> dict[str, Any]:
    """Run every step in dependency order; keyword arguments override the parameters.

    Runtime options (unless a parameter has the name): ``cache=DIR`` skips each step whose
    source, parameters and inputs hash as in a cached run, ``force=STEP`` re-runs that step and
    every step after it, ``executor="dask"`` (with ``scheduler=ADDRESS``) runs independent steps
    in parallel, ``report=True`` prints one line per step.

    Returns:
        The namespace after the last step: parameters and every step output.
    """
    options = {k: params.pop(k) for k in runtime.OPTIONS if k in params and k not in PARAMETERS}
    return _run(params, **options)


def _run(params: dict[str, Any], stop_before: str | None = None, **options: Any) -> dict[str, Any]:
    unknown = sorted(set(params) - set(PARAMETERS))
    if unknown:
        raise TypeError(f"unknown parameter(s) {', '.join(unknown)}; expected one of "
                        f"{', '.join(PARAMETERS) or '(none)'}")
    ns = defaults()
    ns.update(params)
    return runner.execute(GRAPH, ns, stop_before=stop_before, **options)'''


def main_source() -> str:
    """``main(argv)``: ``--track`` / ``--register NAME`` (model_hook.py), then the runtime
    options and the parameters, through ``runner.main``."""
    return '''def main(argv: list[str] | None = None) -> int:
    """Command-line entry: runtime options (--cache, --force, --executor, --step ...) and the
    parameters; run the pipeline and return the exit code. ``--track`` records the run and the
    fitted models its steps produce in the mlops-jupyter store (MLOPS_JUPYTER_STORE);
    ``--register NAME`` does too, and registers the last model as the next version of NAME."""
    import argparse
    import sys

    hooks = argparse.ArgumentParser(add_help=False)
    hooks.add_argument("--track", action="store_true")
    hooks.add_argument("--register", metavar="NAME")
    options, rest = hooks.parse_known_args(sys.argv[1:] if argv is None else argv)
    tracked = None
    if options.track or options.register:
        def tracked(**params: Any) -> dict[str, Any]:
            return _run_tracked(params, options.register)
    return runner.main(rest, sys.modules[__name__], _parse_args, run_pipeline=tracked)'''
