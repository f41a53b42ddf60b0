"""The ``params``, ``run``, ``sweep`` and ``reproduce`` subcommands: parsing only."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from mlops_jupyter.errors import InvalidParameterError, NotebookExecutionError
from mlops_jupyter.execution.points import MAX_SWEEP_POINTS


def whole_number(low: int, high: int | None = None) -> Any:
    """An argparse type: an int in low..high, refused at parse time with the range."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < low or (high is not None and value > high):
            bounds = f"from {low} to {high}" if high is not None else f"{low} or more"
            raise argparse.ArgumentTypeError(f"{value} is out of range; expected {bounds}")
        return value

    parse.__name__ = "whole number"
    return parse


def seconds(text: str) -> float:
    """An argparse type: a number of seconds > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text} is not a duration; expected seconds > 0")
    return value


def register(subparsers: Any) -> None:
    """Add the execution subcommands to the main ``mlops-jupyter`` parser."""
    params = subparsers.add_parser("params", help="show a notebook's typed parameters")
    params.add_argument("notebook")
    params.add_argument("--format", choices=("table", "json"), default="table")
    params.set_defaults(func=_params)

    run = subparsers.add_parser("run", help="execute a notebook with papermill as a run")
    run.add_argument("notebook")
    _add_value_options(run)
    run.add_argument("--output", "-o", help="also write the executed notebook here")
    _add_common_options(run)
    run.set_defaults(func=_run)

    sweep = subparsers.add_parser("sweep", help="execute a notebook over many parameter points")
    sweep.add_argument("notebook", nargs="?", help="(not needed with --resume)")
    _add_value_options(sweep)
    sweep.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar="NAME=V1,V2",
        help="values of one parameter; several --grid make a cartesian grid",
    )
    sweep.add_argument(
        "--random",
        type=whole_number(1, MAX_SWEEP_POINTS),
        metavar="N",
        help=f"N random points over --range (1 to {MAX_SWEEP_POINTS})",
    )
    sweep.add_argument(
        "--range",
        action="append",
        default=[],
        metavar="NAME=LO:HI[:log]",
        help="range of an int/float parameter for --random (repeatable)",
    )
    sweep.add_argument("--seed", type=int, help="seed of --random (recorded)")
    sweep.add_argument("--points", metavar="FILE", help="YAML/JSON list of points")
    sweep.add_argument(
        "--jobs",
        "-j",
        type=whole_number(1),
        default=1,
        help="points executed at once (at most the CPU count and the points)",
    )
    sweep.add_argument(
        "--retries", type=whole_number(0), default=0, help="extra attempts per failing point"
    )
    sweep.add_argument(
        "--resume",
        metavar="SWEEP_RUN",
        help="re-run only the failed or missing points of this sweep (--optuna: continue its "
        "study after a crash)",
    )
    sweep.add_argument("--output-dir", help="also write each executed notebook here")
    sweep.add_argument(
        "--executor",
        choices=("local", "dask"),
        default="local",
        help="local: warm kernel pool in this process (default); dask: workers",
    )
    sweep.add_argument(
        "--scheduler",
        metavar="tcp://HOST:PORT",
        help="Dask scheduler (default with --executor dask: a LocalCluster)",
    )
    adaptive = sweep.add_argument_group("adaptive search (needs mlops-jupyter[optuna])")
    adaptive.add_argument(
        "--optuna",
        type=whole_number(1, MAX_SWEEP_POINTS),
        metavar="N",
        help="N trials of an Optuna study over --range (ask-and-tell on the kernels)",
    )
    adaptive.add_argument("--metric", help="the metric the study optimises (with --optuna)")
    adaptive.add_argument("--direction", choices=("maximize", "minimize"), default="maximize")
    adaptive.add_argument("--sampler", choices=("tpe", "cmaes", "random"), default="tpe")
    adaptive.add_argument(
        "--prune",
        choices=("median",),
        help="stop points whose step metrics trail the median of earlier trials (status "
        "pruned; on the kernel pool and on Dask)",
    )
    sweep.add_argument(
        "--no-preimport",
        dest="preimport",
        action="store_false",
        help="start every point's kernel fresh (default: fork kernels from a process that "
        "ran the notebook's leading imports once)",
    )
    _add_common_options(sweep)
    sweep.set_defaults(func=_sweep)

    reproduce = subparsers.add_parser("reproduce", help="re-execute a run and compare metrics")
    reproduce.add_argument("run_id", metavar="RUN")
    reproduce.add_argument("--rtol", type=float, default=1e-6, help="relative tolerance")
    reproduce.add_argument("--atol", type=float, default=1e-9, help="absolute tolerance")
    reproduce.add_argument("--timeout", type=seconds, help="seconds the re-execution may take")
    reproduce.set_defaults(func=_reproduce)


def _add_value_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="a parameter value (converted to the type declared in the parameters cell)",
    )
    parser.add_argument(
        "-f",
        "--parameters-file",
        action="append",
        default=[],
        metavar="FILE",
        help="YAML/JSON mapping of parameter values",
    )


def _add_common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--timeout", type=seconds, help="seconds a run may take (kernel killed)")
    parser.add_argument("--cwd", help="working directory of the kernel")
    parser.add_argument("--experiment", help="experiment name")
    parser.add_argument("--name", help="run name")
    parser.add_argument("--kernel", help="kernelspec (default: the notebook's)")


def _params(args: argparse.Namespace) -> int:
    from mlops_jupyter.cli.output import print_json
    from mlops_jupyter.execution.parameters import notebook_schema, parameters_table
    from mlops_jupyter.notebook.read import read_notebook

    schema = notebook_schema(read_notebook(args.notebook))
    if args.format == "json":
        print_json([vars(s) for s in schema or ()])
    else:
        print(parameters_table(schema))
    return 0


def _run(args: argparse.Namespace) -> int:
    from mlops_jupyter.execution.executor import run_notebook

    try:
        record = run_notebook(
            args.notebook,
            output_path=args.output,
            timeout=args.timeout,
            cwd=args.cwd,
            store=args.store,
            experiment=args.experiment,
            name=args.name,
            kernel_name=args.kernel,
            parameters=dict(args.parameter),
            parameter_files=tuple(args.parameters_file),
        )
    except NotebookExecutionError as err:
        print(f"run {getattr(err, 'run_id', '?')} failed", file=sys.stderr)
        raise
    print(f"run {record.run_id} {record.status} in {record.duration or 0:.1f}s")
    for key, value in sorted(record.metrics.items()):
        print(f"  {key} = {value:.6g}")
    return 0


def _sweep_points(args: argparse.Namespace, schema: Any) -> list[dict[str, Any]]:
    from mlops_jupyter.execution.points import grid_points, load_points_file, random_points

    chosen = [bool(args.grid), args.random is not None, bool(args.points)]
    if sum(chosen) != 1:
        raise InvalidParameterError(
            "give exactly one of --grid (repeatable), --random N with --range, or --points FILE"
        )
    if args.grid:
        return grid_points(args.grid)
    if args.points:
        return load_points_file(args.points)
    return random_points(args.random, args.range, schema, args.seed)


def _sweep(args: argparse.Namespace) -> int:
    if args.notebook and not args.resume and args.executor == "local" and args.preimport:
        from mlops_jupyter.execution.fork_template import prestart_guessed

        prestart_guessed(args.notebook, args.cwd)  # its imports start before ours below
    from mlops_jupyter.execution.job import prepare_job
    from mlops_jupyter.execution.sweep import sweep_notebook
    from mlops_jupyter.execution.sweep_report import progress_printer

    if args.optuna is not None or (args.resume and _is_adaptive(args)):
        return _optuna_sweep(args)
    points: list[dict[str, Any]] = []
    base: dict[str, Any] = {}
    if not args.resume:
        if not args.notebook:
            raise InvalidParameterError("sweep needs a NOTEBOOK (or --resume SWEEP_RUN)")
        job = prepare_job(
            args.notebook, files=args.parameters_file, pairs=args.parameter, kernel_name=args.kernel
        )
        if args.random is not None and args.seed is None:
            import random

            args.seed = random.SystemRandom().randrange(2**31)
        points, base = _sweep_points(args, job.schema), job.parameters
        total = len(points)
    else:
        total = 0
    result = sweep_notebook(
        args.notebook,
        points,
        parameters=base,
        jobs=args.jobs,
        timeout=args.timeout,
        retries=args.retries,
        cwd=args.cwd,
        store=args.store,
        experiment=args.experiment,
        name=args.name,
        resume=args.resume,
        executor=args.executor,
        scheduler=args.scheduler,
        kernel_name=args.kernel,
        on_point=progress_printer(total) if total else None,
        tags={"mlops.sweep.seed": args.seed} if args.random is not None else None,
        output_dir=args.output_dir,
        preimport=args.preimport,
        on_log=lambda line: print(f"sweep: {line}", file=sys.stderr, flush=True),
    )
    print(result.summary())
    return 1 if result.failed else 0


def _is_adaptive(args: argparse.Namespace) -> bool:
    from mlops_jupyter.execution.sweep_spec import is_adaptive
    from mlops_jupyter.store import open_store

    store = open_store(args.store)
    return is_adaptive(store, store.resolve_run_id(args.resume))


def _optuna_sweep(args: argparse.Namespace) -> int:
    """``sweep --optuna N --metric M``: Optuna's search (imported only here)."""
    from mlops_jupyter.execution.optuna_sweep import optuna_sweep
    from mlops_jupyter.execution.sweep_report import progress_printer

    if args.grid or args.points or args.random is not None:
        raise InvalidParameterError("--optuna searches --range: drop --grid, --points, --random")
    result = optuna_sweep(
        args.notebook,
        args.optuna or 0,
        metric=args.metric or "",
        direction=args.direction,
        sampler=args.sampler,
        ranges=args.range,
        seed=args.seed,
        prune=args.prune,
        parameters=_values(args),
        jobs=args.jobs,
        timeout=args.timeout,
        cwd=args.cwd,
        store=args.store,
        experiment=args.experiment,
        name=args.name,
        resume=args.resume,
        executor=args.executor,
        scheduler=args.scheduler,
        kernel_name=args.kernel,
        output_dir=args.output_dir,
        on_point=progress_printer(args.optuna) if args.optuna else None,
        on_log=lambda line: print(f"sweep: {line}", file=sys.stderr, flush=True),
    )
    print(result.summary())
    return 0 if result.best is not None else 1


def _values(args: argparse.Namespace) -> dict[str, Any]:
    """The common parameter values (-p/-f) of a new adaptive sweep (none on resume)."""
    if args.resume:
        return {}
    from mlops_jupyter.execution.job import prepare_job

    if not args.notebook:
        raise InvalidParameterError("sweep --optuna needs a NOTEBOOK (or --resume SWEEP_RUN)")
    job = prepare_job(
        args.notebook, files=args.parameters_file, pairs=args.parameter, kernel_name=args.kernel
    )
    return dict(job.parameters)


def _reproduce(args: argparse.Namespace) -> int:
    from mlops_jupyter.execution.reproduce import reproduce_run

    result = reproduce_run(
        args.run_id, rtol=args.rtol, atol=args.atol, timeout=args.timeout, store=args.store
    )
    print(result.table())
    return 0 if result.reproduced else 1
