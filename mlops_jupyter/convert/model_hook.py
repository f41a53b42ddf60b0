"""The converted pipeline's tracking hook: ``--track`` records a run of the pipeline and logs the
fitted models its steps produce; ``--register NAME`` also registers the last one."""

from __future__ import annotations


def tracking_source(outputs: list[str], title: str) -> str:
    """Source of ``STEP_OUTPUTS`` and ``_run_tracked`` for step `outputs` (in step order): what
    the pipeline's ``main`` calls for ``--track`` / ``--register``. mlops-jupyter is imported
    only when tracking is asked for."""
    return f'''STEP_OUTPUTS = {tuple(outputs)!r}


def _run_tracked(params: dict[str, Any], register: str | None) -> dict[str, Any]:
    """Run the pipeline as a recorded mlops-jupyter run, log the fitted models its steps produce
    (named after the step output), and register the last one as `register` when given."""
    import mlops_jupyter

    params.pop("load_outputs", None)  # the models are among the outputs: load them
    given = {{**defaults(), **{{k: v for k, v in params.items() if k in PARAMETERS}}}}
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
    return ns'''
