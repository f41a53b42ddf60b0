"""Sweep points: a grid (``--grid lr=0.1,0.01``), random draws over ranges, or a file of points.

Points are plain dicts of raw values; they are converted and validated against the notebook's
schema (NotebookJob.with_parameters) before any kernel starts.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlops_jupyter.errors import InvalidParameterError, LimitExceededError
from mlops_jupyter.notebook.parameters import ParamSpec

#: Most points one sweep may have (CLI, Python API and server alike); more are refused before
#: any point is built, recorded or executed.
MAX_SWEEP_POINTS = 1_000


def max_jobs(points: int, local: bool = True) -> int:
    """Most points a sweep may execute at once: the CPU count (for kernels on this machine),
    and no more than its points."""
    return max(1, min(os.cpu_count() or 1, points) if local else points)


def check_sweep_size(points: int, jobs: int, local: bool = True) -> None:
    """Refuse a sweep over the caps: more than MAX_SWEEP_POINTS points, or more parallel jobs
    than points or (for kernels on this machine, `local`) CPUs: each job is a kernel process.

    Raises:
        LimitExceededError: over a cap (the message names it).
        InvalidParameterError: jobs below 1.
    """
    if points > MAX_SWEEP_POINTS:
        raise LimitExceededError(
            "a sweep of",
            f"{points} points",
            f"{MAX_SWEEP_POINTS} points",
            "split it into several sweeps, or sample with --random N",
        )
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise InvalidParameterError(
            f"jobs={jobs!r}: expected a whole number of parallel points >= 1"
        )
    cap = max_jobs(points, local)
    if jobs > cap:
        cpus = f"this machine has {os.cpu_count() or 1} CPU(s) and " if local else ""
        raise LimitExceededError(
            "jobs",
            jobs,
            cap,
            f"{cpus}the sweep has {points} point(s), and each job is a "
            f"kernel process; pass jobs of at most {cap}",
        )


def _split_top_level(text: str) -> list[str]:
    """Split on commas outside brackets/quotes, so ``[1,2],[3]`` is two values."""
    parts: list[str] = []
    current: list[str] = []
    depth, quote = 0, ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "[{(":
            depth += 1
        elif char in "]})":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    parts.append("".join(current).strip())
    return parts


def parse_assignment(text: str, option: str) -> tuple[str, str]:
    """``name=value`` -> (name, value).

    Raises:
        InvalidParameterError: no ``=`` or an empty name.
    """
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise InvalidParameterError(
            f"{option} {text!r}: expected NAME=VALUES, e.g. {option} lr=0.1,0.01"
        )
    return name.strip(), value.strip()


def grid_points(grid: Sequence[str]) -> list[dict[str, Any]]:
    """The cartesian product of ``name=v1,v2`` options, in the order given (last varies fastest).

    Raises:
        InvalidParameterError: a malformed option, or a name given twice.
    """
    axes: dict[str, list[str]] = {}
    for option in grid:
        name, values = parse_assignment(option, "--grid")
        if name in axes:
            raise InvalidParameterError(
                f"--grid {name} is given twice; list all its values in "
                f"one option: --grid {name}=v1,v2,v3"
            )
        axes[name] = [v for v in _split_top_level(values) if v != ""]
        if not axes[name]:
            raise InvalidParameterError(f"--grid {option!r} has no values")
    size = math.prod(len(v) for v in axes.values())
    if size > MAX_SWEEP_POINTS:  # refused before the product is built
        raise LimitExceededError(
            "--grid makes",
            f"{size} points",
            f"{MAX_SWEEP_POINTS} points",
            "give fewer values, or sample the space with --random N",
        )
    return [dict(zip(axes, combo)) for combo in itertools.product(*axes.values())]


def random_points(
    count: int, ranges: Sequence[str], schema: Sequence[ParamSpec] | None, seed: int | None = None
) -> list[dict[str, Any]]:
    """`count` points drawn uniformly from ``name=lo:hi`` ranges (``name=lo:hi:log`` for
    log-uniform); int parameters draw whole numbers from lo to hi inclusive.

    Raises:
        InvalidParameterError: a malformed range, or a parameter that is not int/float.
    """
    if count < 1:
        raise InvalidParameterError(f"--random {count}: expected a number of points >= 1")
    if count > MAX_SWEEP_POINTS:  # refused before any point is drawn
        raise LimitExceededError(
            "--random",
            count,
            f"{MAX_SWEEP_POINTS} points",
            "draw fewer points, or run several sweeps",
        )
    if not ranges:
        raise InvalidParameterError("--random needs at least one --range NAME=LO:HI")
    types = {s.name: s.type for s in schema or ()}
    axes = [_parse_range(option, types) for option in ranges]
    rng = random.Random(seed)
    return [{name: draw(rng) for name, draw in axes} for _ in range(count)]


@dataclass(frozen=True)
class Range:
    """One ``--range NAME=LO:HI[:log]`` of an int or float parameter."""

    name: str
    kind: str  # "int" or "float"
    low: float
    high: float
    log: bool


def parse_range(option: str, types: dict[str, str]) -> Range:
    """Parse ``NAME=LO:HI[:log]`` against the parameter types (name -> "int"/"float"/...).

    Raises:
        InvalidParameterError: a malformed range, or a parameter that is not int/float.
        UnknownParameterError: no parameter of that name.
    """
    name, text = parse_assignment(option, "--range")
    if name not in types:
        from mlops_jupyter.errors import UnknownParameterError

        raise UnknownParameterError(name, list(types))
    kind, pieces = types[name], text.split(":")
    if (
        kind not in ("int", "float")
        or len(pieces) not in (2, 3)
        or (len(pieces) == 3 and pieces[2] != "log")
    ):
        raise InvalidParameterError(
            f"--range {option!r}: expected NAME=LO:HI or NAME=LO:HI:log for an int or float "
            f"parameter ({name} is {kind})"
        )
    try:
        low, high = float(pieces[0]), float(pieces[1])
    except ValueError as err:
        raise InvalidParameterError(f"--range {option!r}: LO and HI must be numbers") from err
    log = len(pieces) == 3
    if low > high or (log and low <= 0):
        raise InvalidParameterError(f"--range {option!r}: need LO <= HI (and LO > 0 for log)")
    return Range(name, kind, low, high, log)


def _parse_range(option: str, types: dict[str, str]) -> tuple[str, Any]:
    axis = parse_range(option, types)
    name, low, high = axis.name, axis.low, axis.high
    if axis.kind == "int":
        return name, lambda rng: rng.randint(math.ceil(low), math.floor(high))
    if axis.log:
        return name, lambda rng: math.exp(rng.uniform(math.log(low), math.log(high)))
    return name, lambda rng: rng.uniform(low, high)


def load_points_file(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """A YAML or JSON list of points (each a mapping of name to value).

    Raises:
        InvalidParameterError: the file is missing, unparsable or not a list of mappings.
    """
    import yaml

    try:
        text = Path(path).read_text(encoding="utf-8")
        data = json.loads(text) if str(path).endswith(".json") else yaml.safe_load(text)
    except FileNotFoundError as err:
        raise InvalidParameterError(f"points file {os.fspath(path)!r} not found") from err
    except (ValueError, yaml.YAMLError) as err:
        raise InvalidParameterError(
            f"points file {os.fspath(path)!r} is not valid YAML/JSON: {err}"
        ) from err
    if not isinstance(data, list) or not all(isinstance(p, dict) for p in data) or not data:
        raise InvalidParameterError(
            f"points file {os.fspath(path)!r} must hold a non-empty "
            "list of mappings, e.g. [{lr: 0.1}, {lr: 0.01}]"
        )
    return [{str(k): v for k, v in point.items()} for point in data]
