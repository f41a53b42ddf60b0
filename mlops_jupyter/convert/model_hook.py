"""The converted pipeline's tracking hook: ``--track`` records a run of the pipeline as
``mlops-jupyter run`` records the notebook's (a parent run with the notebook's parameters and its
tracked steps' metrics, one child run per ``%%track`` step: models/pipeline_run.py) and logs the
fitted models its steps produce; ``--register NAME`` also registers the last one."""

from __future__ import annotations

from collections.abc import Sequence


def tracking_source(outputs: list[str], title: str, tracked: Sequence[str] = ()) -> str:
    """Source of ``STEP_OUTPUTS``, ``TRACKED_STEPS`` and ``_run_tracked`` for step `outputs`
    (in step order) and the `tracked` steps (those holding a ``%%track`` cell): what the
    pipeline's ``main`` calls for ``--track`` / ``--register``. mlops-jupyter is imported only
    when tracking is asked for. The ``run ID finished`` line is what CT reads the run from.
    With ``--cache`` the tracked steps run anyway (and so the steps after them): what a tracked
    run measures is never skipped, while the steps before them stay cached."""
    return f'''STEP_OUTPUTS = {tuple(outputs)!r}
TRACKED_STEPS = {tuple(tracked)!r}


def _run_tracked(params: dict[str, Any], register: str | None) -> dict[str, Any]:
    """Run the pipeline as a recorded mlops-jupyter run (one child run per tracked step), log
    the fitted models its steps produce (named after the step output), and register the last
    model (a step output's, else the one a tracked step logged) as `register` when given."""
    import mlops_jupyter

    params.pop("load_outputs", None)  # the models are among the outputs: load them
    if params.get("cache") and "cache" not in PARAMETERS and "force" not in PARAMETERS:
        forced = params.get("force") or []
        forced = [forced] if isinstance(forced, str) else list(forced)
        params["force"] = forced + [s for s in TRACKED_STEPS if s not in forced]
    given = {{**defaults(), **{{k: v for k, v in params.items() if k in PARAMETERS}}}}
    tracked = mlops_jupyter.track_pipeline(
        lambda: run(**params),
        {title!r},
        params=given,
        outputs=STEP_OUTPUTS,
        register=register,
        tags={{"mlops.package": __package__}},
    )
    for info in tracked.models:
        print(f"logged model {{info.name}} ({{info.flavor}}): {{info.model_uri}}")
    print(f"run {{tracked.run_id}} finished")
    if register:
        if tracked.version is None:
            raise SystemExit(
                f"--register {{register}}: no step produced or logged a fitted model (outputs: "
                f"{{', '.join(STEP_OUTPUTS) or 'none'}}); nothing was registered"
            )
        version = tracked.version
        print(f"registered {{register}} version {{version.version}}: models:/{{register}}/"
              f"{{version.version}}")
    return tracked.namespace'''
