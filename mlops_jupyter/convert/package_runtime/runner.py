"""How a converted package is run: ``execute`` (here, or on Dask) and the command line, the
runtime options (--cache, --force, --executor, --step ...) in front of the notebook's
parameters."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .runtime import (
    PipelineError,
    Step,
    downstream,
    execute_local,
    report_line,
    run_alone,
    write_code_hashes,
)
from .runtime_dask import execute_dask


def execute(
    graph: tuple[Step, ...],
    ns: dict[str, Any],
    *,
    stop_before: str | None = None,
    cache: str | os.PathLike[str] | None = None,
    force: str | Iterable[str] = (),
    executor: str = "local",
    scheduler: str | None = None,
    report: bool | None = None,
    check: bool = False,
    load_outputs: bool = True,
) -> dict[str, Any]:
    """Run the graph on the namespace ``ns`` (the parameters); return it with every output.

    ``executor="dask"`` runs independent steps in parallel (on ``scheduler``, or a local
    cluster); the report (one line per step) is on by default with a cache, Dask or ``force``.
    """
    forced = downstream(graph, force)
    if executor not in ("local", "dask"):
        raise PipelineError(f"executor {executor!r} is not known; expected 'local' or 'dask'")
    if report is None:
        report = cache is not None or executor != "local" or bool(forced)
    if executor == "dask":
        return execute_dask(graph, ns, cache, forced, scheduler, report)
    return execute_local(
        graph,
        ns,
        stop_before=stop_before,
        cache=cache,
        forced=forced,
        report=report,
        check=check,
        load_outputs=load_outputs,
    )


def read_params(path: str | os.PathLike[str], known: Iterable[str]) -> dict[str, Any]:
    """The notebook parameters in a YAML or JSON file (``params.yaml``); other keys ignored."""
    text = Path(path).read_text(encoding="utf-8")
    try:
        import yaml

        values = yaml.safe_load(text) or {}
    except ImportError:
        values = json.loads(text or "{}")
    if not isinstance(values, dict):
        raise PipelineError(f"{path}: expected a mapping of parameter names to values")
    return {k: v for k, v in values.items() if k in set(known)}


def option_parser(parameters: Iterable[str], prog: str | None = None) -> argparse.ArgumentParser:
    """The runtime's command-line options (those not shadowed by a notebook parameter)."""
    taken = set(parameters)
    parser = argparse.ArgumentParser(prog=prog, add_help=False)
    group = parser.add_argument_group("pipeline options")

    def option(name: str, help: str, **spec: Any) -> None:
        if name not in taken:
            group.add_argument(f"--{name}", dest=f"runtime_{name}", help=help, **spec)

    option(
        "cache",
        "skip the steps whose source, parameters and inputs hash as in a run cached in DIR",
        metavar="DIR",
    )
    option(
        "force",
        "re-run STEP and every step after it (repeatable)",
        metavar="STEP",
        action="append",
        default=[],
    )
    option(
        "executor",
        "run independent steps in parallel on Dask (default: local)",
        choices=("local", "dask"),
        default="local",
    )
    option(
        "scheduler",
        "the Dask scheduler, e.g. tcp://host:8786 (default: a local cluster)",
        metavar="ADDRESS",
    )
    option(
        "check",
        "run every step, materialise every output and fail on a step that changes an input in "
        "place without returning it (what export does before writing a DVC or Airflow pipeline)",
        action="store_true",
    )
    option("step", "run only step NAME, reading and writing files under --data", metavar="NAME")
    option(
        "data",
        "with --step: the folder of step outputs (default: data)",
        metavar="DIR",
        default="data",
    )
    option("params", "read parameter values from a YAML or JSON file", metavar="FILE")
    option(
        "code",
        "write each step's code hash to DIR/STEP.sha256 and exit (what each DVC stage depends "
        "on, so editing one step re-runs only its stage and those after it)",
        metavar="DIR",
    )
    option(
        "inputs", "with --step: the input files, as a JSON object of name to path", metavar="JSON"
    )
    return parser


def main(
    argv: list[str] | None,
    pipeline: Any,
    parse_params: Callable[..., dict[str, Any]],
    run_pipeline: Callable[..., dict[str, Any]] | None = None,
) -> int:
    """The package's command line: the runtime options, then the notebook's parameters;
    `run_pipeline` (default ``pipeline.run``) runs the whole pipeline (``--track`` wraps it)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = option_parser(pipeline.PARAMETERS, prog=f"python -m {pipeline.__package__}")
    if "-h" in argv or "--help" in argv:
        parser.print_help()
        print()
    known, rest = parser.parse_known_args(argv)
    opts = {k.removeprefix("runtime_"): v for k, v in vars(known).items()}
    params: dict[str, Any] = {}
    if opts.get("params"):
        params.update(read_params(opts["params"], pipeline.PARAMETERS))
    params.update(parse_params(rest))
    try:
        if opts.get("code"):
            write_code_hashes(pipeline.GRAPH, opts["code"])
            return 0
        if opts.get("step"):
            ns = pipeline.defaults()
            ns.update(params)
            inputs = json.loads(opts["inputs"]) if opts.get("inputs") else None
            report_line(run_alone(pipeline.GRAPH, opts["step"], ns, opts["data"], inputs))
            return 0
        for name in ("step", "data", "params", "inputs", "code"):
            opts.pop(name, None)
        extra = {"report": True, "load_outputs": False}  # unless a parameter has the name
        extra = {k: v for k, v in extra.items() if k not in pipeline.PARAMETERS}
        (run_pipeline or pipeline.run)(**params, **opts, **extra)
    except PipelineError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0
