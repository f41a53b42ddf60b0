"""The converted pipeline's tracking hook: ``--track`` records a run of the pipeline and logs the
fitted models its steps produce; ``--register NAME`` also registers the last one."""

from __future__ import annotations


def main_source(outputs: list[str], title: str) -> str:
    """Source of the pipeline's ``main`` (the CLI) and ``_run_tracked``, for step `outputs` (in
    step order). mlops-jupyter is imported only when tracking is asked for."""
    return f'''STEP_OUTPUTS = {tuple(outputs)!r}


def _run_tracked(params: dict[str, Any], register: str | None) -> dict[str, Any]:
    """Run the pipeline as a recorded mlops-jupyter run, log the fitted models its steps produce
    (named after the step output), and register the last one as `register` when given."""
    import mlops_jupyter

    given = {{**defaults(), **params}}
    simple = {{k: v for k, v in given.items() if isinstance(v, (bool, int, float, str))}}
    with mlops_jupyter.start_run({title!r}, params=simple) as tracked:
        ns = run(**params)
        logged = mlops_jupyter.log_fitted_models(ns, STEP_OUTPUTS, run=tracked)
    for info in logged:
        print(f"logged model {{info.name}} ({{info.flavor}}): {{info.model_uri}}")
    if register:
        if not logged:
            raise SystemExit(
                f"--register {{register}}: no step produced a fitted model (outputs: "
                f"{{', '.join(STEP_OUTPUTS) or 'none'}}); nothing was registered"
            )
        version = mlops_jupyter.register_model(logged[-1].model_uri, register)
        print(f"registered {{register}} version {{version.version}}: models:/{{register}}/"
              f"{{version.version}}")
    return ns


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: parse the parameters, run the pipeline, return 0. ``--track``
    records the run and its models in the mlops-jupyter store (MLOPS_JUPYTER_STORE);
    ``--register NAME`` does too, and registers the model as the next version of NAME."""
    import argparse
    import sys

    hooks = argparse.ArgumentParser(add_help=False)
    hooks.add_argument("--track", action="store_true")
    hooks.add_argument("--register", metavar="NAME")
    options, rest = hooks.parse_known_args(sys.argv[1:] if argv is None else argv)
    params = _parse_args(rest)
    if options.track or options.register:
        _run_tracked(params, options.register)
    else:
        run(**params)
    return 0'''
